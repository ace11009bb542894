import { generateSync } from 'otplib';
import type { Random } from '../ports/random.js';

/** RFC 6238 parameters every authenticator app understands. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_SECRET_BYTES = 20; // 160 bits, as RFC 4226 recommends

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (what otpauth URIs carry). */
export const base32 = (bytes: Uint8Array): string => {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
};

export const newTotpSecret = (random: Random): Uint8Array => random.bytes(TOTP_SECRET_BYTES);

/**
 * The Key URI (otpauth://totp/Issuer:account?…) with every parameter spelled out, SHA1, 6
 * digits and 30 s included: some apps guess wrong when they are left to defaults.
 */
export const totpUri = (secret: Uint8Array, issuer: string, account: string): string => {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: base32(secret),
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`;
};

/** The code of one time step (RFC 6238, HMAC-SHA1). */
export const totpCode = (secret: Uint8Array, step: number, digits = TOTP_DIGITS): string =>
  generateSync({
    secret,
    algorithm: 'sha1',
    digits: digits as 6 | 7 | 8,
    period: TOTP_PERIOD_SECONDS,
    epoch: step * TOTP_PERIOD_SECONDS,
  });

/** The codes of the current step and `window` steps either side, oldest first. */
export const totpCandidates = (
  secret: Uint8Array,
  nowSeconds: number,
  window = 1,
): { step: number; code: string }[] => {
  const current = Math.floor(nowSeconds / TOTP_PERIOD_SECONDS);
  const candidates = [];
  for (let step = current - window; step <= current + window; step += 1) {
    candidates.push({ step, code: totpCode(secret, step) });
  }
  return candidates;
};
