/**
 * What makes a PIN unusable or too weak (API.md "PIN"). A PIN is compared in its NFKC form
 * (fullwidth digits are digits), so the rules apply to that form, counted in code points:
 * - not text: ill-formed UTF-16 (lone surrogates), controls, invisible or format characters;
 * - blank, or with spaces at either end (easy to lose when typed);
 * - digits other than 0-9 (the same PIN must be typeable on every keypad);
 * - fewer than 6 or more than 64 characters;
 * - easy to guess: one character or a short unit repeated (000000, 121212, 123123, aaaaaa),
 *   a run of digits up or down, wrapping (123456, 654321, 890123, 1234567890), a keypad walk,
 *   or one of the most common PINs and passwords.
 */
const COMMON = new Set([
  '112233',
  '111222',
  '159753',
  '159357',
  '147258',
  '147852',
  '258369',
  '258456',
  '369258',
  '741852',
  '753951',
  '789456',
  '789123',
  '963852',
  '951753',
  '102030',
  '112358',
  '696969',
  '123321',
  '654456',
  '131313',
  '101010',
  '202020',
  '520520',
  '123654',
  '147369',
  '142536',
  'password',
  'passw0rd',
  'qwerty',
  'qwertz',
  'azerty',
  'abc123',
  'letmein',
  'iloveyou',
  'welcome',
  'monkey',
  'dragon',
  'football',
  'abcdef',
  'secret',
]);

const isDigitRun = (pin: string, step: 1 | -1) => {
  if (!/^[0-9]+$/.test(pin)) return false;
  for (let i = 1; i < pin.length; i += 1) {
    if ((Number(pin[i]) - Number(pin[i - 1]) + 10) % 10 !== (step + 10) % 10) return false;
  }
  return true;
};

const repeatsUnit = (chars: readonly string[]) => {
  for (let size = 1; size <= chars.length / 2; size += 1) {
    if (chars.length % size !== 0) continue;
    if (chars.every((char, i) => char === chars[i % size])) return true;
  }
  return false;
};

/** The form a PIN is stored and compared in. */
export const normalizePin = (pin: string): string => pin.normalize('NFKC');

/** Why a PIN cannot be a PIN at all (undefined: it can): checked at enroll and verify. */
export const malformedPin = (pin: string): string | undefined => {
  if (/\p{Cs}/u.test(pin)) return 'A PIN is text: no unpaired surrogates';
  if (/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(pin))
    return 'A PIN has no control or invisible characters';
  const length = [...pin].length;
  if (length < 6) return 'A PIN has at least 6 characters';
  if (length > 64) return 'A PIN has at most 64 characters';
  return undefined;
};

/** Why a PIN is refused at enrollment (the `weak_pin` detail), or undefined. */
export const weakPinReason = (raw: string): string | undefined => {
  const pin = normalizePin(raw);
  const malformed = malformedPin(pin);
  if (malformed) return malformed;
  if (/^\s|\s$/u.test(pin)) return 'A PIN has no spaces at either end';
  if (/[\p{Nd}]/u.test(pin.replace(/[0-9]/g, ''))) return 'A PIN uses the digits 0-9 only';
  const chars = [...pin.toLowerCase()];
  if (
    repeatsUnit(chars) ||
    isDigitRun(pin, 1) ||
    isDigitRun(pin, -1) ||
    COMMON.has(pin.toLowerCase())
  ) {
    return 'This PIN is too easy to guess: avoid repeats, runs, keypad patterns and common PINs';
  }
  return undefined;
};
