import { CryptoError } from './crypto-error.js';

/**
 * ECDSA signature encodings. KMS (and OpenSSL by default) returns the ASN.1 DER form
 * `SEQUENCE { INTEGER r, INTEGER s }`; JWS (RFC 7518 §3.4) wants the fixed-size `r || s`.
 * `size` is the curve's byte length: 32 for P-256 (ES256), 48 for P-384, 66 for P-521.
 */

const SEQUENCE = 0x30;
const INTEGER = 0x02;
/** P-521: the largest curve JOSE uses; also keeps every DER length within one length byte. */
const MAX_SIZE = 66;

function fail(why: string): never {
  throw new CryptoError('malformed_signature', `Malformed ECDSA signature: ${why}`);
}

const checkSize = (size: number): void => {
  if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
    throw new RangeError(`ECDSA integer size must be 1..${MAX_SIZE} bytes`);
  }
};

/** A DER length: short form, or `0x81 n` with n ≥ 128 (DER forbids any longer form here). */
const readLength = (der: Uint8Array, offset: number): { length: number; next: number } => {
  const first = der[offset];
  if (first === undefined) return fail('truncated length');
  if (first < 0x80) return { length: first, next: offset + 1 };
  const second = der[offset + 1];
  if (first !== 0x81 || second === undefined || second < 0x80) fail('non-minimal length');
  return { length: second, next: offset + 2 };
};

/** A positive, minimally encoded INTEGER, left-padded with zeros to `size` bytes. */
const readInteger = (
  der: Uint8Array,
  offset: number,
  size: number,
): { value: Uint8Array; next: number } => {
  if (der[offset] !== INTEGER) fail('expected INTEGER');
  const { length, next } = readLength(der, offset + 1);
  const end = next + length;
  if (length === 0 || end > der.length) fail('truncated INTEGER');
  const bytes = der.subarray(next, end);
  const first = bytes[0] ?? 0;
  // r and s are in [1, n-1]: a negative number, a padding zero that is not needed, or zero
  // itself can only come from a broken or forged encoder.
  if (first & 0x80) fail('negative INTEGER');
  if (first === 0 && length > 1 && !((bytes[1] ?? 0) & 0x80)) fail('non-minimal INTEGER');
  const magnitude = first === 0 ? bytes.subarray(1) : bytes;
  if (magnitude.length === 0) fail('zero INTEGER');
  if (magnitude.length > size) fail('INTEGER too large for the curve');
  const value = new Uint8Array(size);
  value.set(magnitude, size - magnitude.length);
  return { value, next: end };
};

/**
 * DER `SEQUENCE { INTEGER r, INTEGER s }` → `r || s` (2 × `size` bytes). Strict DER: any
 * extra byte, long or non-minimal length, negative, zero or oversized integer throws
 * `CryptoError` `malformed_signature`, so a broken signer fails loudly instead of issuing
 * tokens nobody can verify.
 *
 * @example
 * const jose = derToJose(signCommandOutput.Signature); // 64 bytes for ES256
 */
export const derToJose = (der: Uint8Array, size = 32): Uint8Array => {
  checkSize(size);
  if (der[0] !== SEQUENCE) fail('expected SEQUENCE');
  const { length, next } = readLength(der, 1);
  if (next + length !== der.length) fail('SEQUENCE length does not match');
  const r = readInteger(der, next, size);
  const s = readInteger(der, r.next, size);
  if (s.next !== der.length) fail('trailing bytes in SEQUENCE');
  const out = new Uint8Array(2 * size);
  out.set(r.value, 0);
  out.set(s.value, size);
  return out;
};

const encodeLength = (length: number): number[] => (length < 0x80 ? [length] : [0x81, length]);

const encodeInteger = (fixed: Uint8Array): number[] => {
  let start = 0;
  while (start < fixed.length && fixed[start] === 0) start += 1;
  if (start === fixed.length) fail('zero integer');
  const magnitude = Array.from(fixed.subarray(start));
  // DER integers are signed: a set high bit needs a zero in front to stay positive.
  const body = (magnitude[0] ?? 0) & 0x80 ? [0, ...magnitude] : magnitude;
  return [INTEGER, ...encodeLength(body.length), ...body];
};

/**
 * `r || s` → DER `SEQUENCE { INTEGER r, INTEGER s }`, the inverse of {@link derToJose}
 * (minimal DER, as OpenSSL and KMS produce). Throws `CryptoError` `malformed_signature`
 * when the input is not 2 × `size` bytes or r or s is zero.
 */
export const joseToDer = (jose: Uint8Array, size = 32): Uint8Array => {
  checkSize(size);
  if (jose.length !== 2 * size) fail(`expected ${2 * size} bytes`);
  const r = encodeInteger(jose.subarray(0, size));
  const s = encodeInteger(jose.subarray(size));
  const body = [...r, ...s];
  return Uint8Array.from([SEQUENCE, ...encodeLength(body.length), ...body]);
};
