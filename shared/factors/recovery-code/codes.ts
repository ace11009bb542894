import type { Random } from '../../ports/random.js';

/** Codes one enrollment shows (API.md "Recovery codes"). */
export const RECOVERY_CODE_COUNT = 10;
/** Characters of a code: 12 of 32 symbols, 60 bits (the issue asks ≥ 50). */
const CODE_LENGTH = 12;
/** Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new code as shown: `XXXX-XXXX-XXXX`, uniform over the alphabet, from the CSPRNG. */
export const newRecoveryCode = (random: Random): string => {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) code += ALPHABET[random.int(0, ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
};

/**
 * A submitted code in its one canonical form, or undefined when it cannot be one: case,
 * spaces and hyphens do not matter, and the letters Crockford's base32 reads as digits
 * (O → 0, I and L → 1) count as those digits.
 */
export const normalizeRecoveryCode = (submitted: string): string | undefined => {
  // ASCII letters, digits, spaces and hyphens only: no case mapping of other scripts
  // (`ı`, `ß`) and no other white space.
  if (!/^[0-9A-Za-z -]*$/.test(submitted)) return undefined;
  const code = submitted
    .toUpperCase()
    .replace(/[ -]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c))
    ? code
    : undefined;
};
