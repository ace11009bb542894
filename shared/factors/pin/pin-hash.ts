import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * A PIN is stored only as scrypt (N 2^15, r 8, p 1: ~50 ms, 32 MiB) of its proof, the HMAC of
 * the PIN under the server-side OTP key: a copy of the table alone (without the key) cannot be
 * searched for PINs, and with the key each guess still costs a slow hash. Format:
 * `scrypt$<N>$<r>$<p>$<salt b64u>$<hash b64u>`, so the cost can be raised later.
 */
const N = 2 ** 15;
const R = 8;
const P = 1;
const LENGTH = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

const derive = (proof: string, salt: Buffer, n: number, r: number, p: number) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(proof, salt, LENGTH, { N: n, r, p, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );

export const hashPinProof = async (proof: string): Promise<string> => {
  const salt = randomBytes(16);
  const hash = await derive(proof, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
};

/** Constant-time check of a proof against a stored hash (false for a malformed one). */
export const pinProofMatches = async (proof: string, stored: string): Promise<boolean> => {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(
    proof,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
};
