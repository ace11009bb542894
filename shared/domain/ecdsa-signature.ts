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

/*
 * Low-S (ES256 only). ECDSA is malleable: if (r, s) is a valid signature, so is (r, n − s),
 * and anyone can compute it from a token without the key. Both forms verify, so one token
 * would have two strings with the same claims: a cache, a log search or a deny list keyed by
 * the token string would miss the twin of a token it knows. This service accepts one form
 * only, the one with s ≤ ⌊n/2⌋ (as Bitcoin's BIP 146), and its signers emit only that form.
 */

const P256_SIZE = 32;
/** The P-256 group order n (FIPS 186-4 D.1.2.3), big-endian. */
const P256_ORDER: Uint8Array = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
);
/** ⌊n/2⌋: the largest s of the low form (n is odd, so exactly one of s, n − s is ≤ it). */
const P256_HALF_ORDER: Uint8Array = Buffer.from(
  '7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8',
  'hex',
);

/** Compares the 32 bytes of `sig` at `offset` with `bound`, as big-endian numbers. */
const compareAt = (sig: Uint8Array, offset: number, bound: Uint8Array): number => {
  for (let i = 0; i < P256_SIZE; i += 1) {
    const difference = (sig[offset + i] ?? 0) - (bound[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
};

const isZeroAt = (sig: Uint8Array, offset: number): boolean => {
  for (let i = 0; i < P256_SIZE; i += 1) if (sig[offset + i] !== 0) return false;
  return true;
};

/**
 * Whether an ES256 `r || s` (64 bytes) is in the one form this service accepts:
 * 1 ≤ r < n and 1 ≤ s ≤ ⌊n/2⌋. A byte compare, no big-number arithmetic: it runs on every
 * token the authorizer sees, before the (much dearer) signature check.
 *
 * @example
 * if (!isLowSP256(signature)) fail('signature');
 */
export const isLowSP256 = (jose: Uint8Array): boolean =>
  jose.length === 2 * P256_SIZE &&
  !isZeroAt(jose, 0) &&
  compareAt(jose, 0, P256_ORDER) < 0 &&
  !isZeroAt(jose, P256_SIZE) &&
  compareAt(jose, P256_SIZE, P256_HALF_ORDER) <= 0;

/**
 * An ES256 `r || s` in low-S form: s > ⌊n/2⌋ becomes n − s (the same signature's twin,
 * equally valid), a low s is returned as given. Node's OpenSSL and KMS emit either form at
 * random, so every signer passes its signature through here. Throws `CryptoError`
 * `malformed_signature` unless the input is 64 bytes with r and s in [1, n − 1]: nothing a
 * working signer produces.
 *
 * @example
 * const jws = `${signingInput}.${b64url(toLowSP256(signature))}`;
 */
export const toLowSP256 = (jose: Uint8Array): Uint8Array => {
  if (jose.length !== 2 * P256_SIZE) fail(`expected ${2 * P256_SIZE} bytes`);
  if (isZeroAt(jose, 0) || compareAt(jose, 0, P256_ORDER) >= 0) fail('r out of range');
  if (isZeroAt(jose, P256_SIZE) || compareAt(jose, P256_SIZE, P256_ORDER) >= 0) {
    fail('s out of range');
  }
  if (compareAt(jose, P256_SIZE, P256_HALF_ORDER) <= 0) return jose;
  const low = Uint8Array.from(jose);
  let borrow = 0;
  for (let i = P256_SIZE - 1; i >= 0; i -= 1) {
    const difference = (P256_ORDER[i] ?? 0) - (jose[P256_SIZE + i] ?? 0) - borrow;
    low[P256_SIZE + i] = difference & 0xff;
    borrow = difference < 0 ? 1 : 0;
  }
  return low;
};
