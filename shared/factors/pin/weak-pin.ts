/**
 * What makes a PIN too weak (API.md "PIN"): fewer than 6 or more than 64 characters, or, for
 * an all-digit PIN, one an attacker tries first: one digit repeated (000000), a run up or down
 * (123456, 987654, 012345), a short pattern repeated (121212, 123123), or one of the most
 * common PINs. Counted in code points after NFC.
 */
const COMMON = new Set([
  '112233',
  '159753',
  '147258',
  '258369',
  '789456',
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
]);

const isRun = (digits: string, step: 1 | -1) => {
  for (let i = 1; i < digits.length; i += 1) {
    if (Number(digits[i]) - Number(digits[i - 1]) !== step) return false;
  }
  return true;
};

const repeatsShortPattern = (digits: string) => {
  for (let size = 1; size <= 3; size += 1) {
    const unit = digits.slice(0, size);
    if (digits.length % size === 0 && unit.repeat(digits.length / size) === digits) return true;
  }
  return false;
};

/** Why a PIN is refused (for the `weak_pin` detail), or undefined when it is acceptable. */
export const weakPinReason = (pin: string): string | undefined => {
  const length = [...pin].length;
  if (length < 6) return 'A PIN has at least 6 characters';
  if (length > 64) return 'A PIN has at most 64 characters';
  if (/\p{Cc}/u.test(pin)) return 'A PIN has no control characters';
  if (!/^\d+$/.test(pin)) return undefined;
  if (repeatsShortPattern(pin) || isRun(pin, 1) || isRun(pin, -1) || COMMON.has(pin)) {
    return 'This PIN is too easy to guess: avoid repeats, runs and common PINs';
  }
  return undefined;
};
