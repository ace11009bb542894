import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from '../domain/crypto-error.js';
import type { SecretBox } from '../ports/secret-box.js';

/**
 * Envelope encryption shared by the KMS and the file secret box: a fresh AES-256 data key
 * per secret, the secret sealed with AES-256-GCM under it, the data key stored wrapped next
 * to it. Only the wrapping differs (KMS or a local master key), so both write one format:
 *
 *   v1.<base64url(wrapped data key)>.<base64url(iv)>.<base64url(ciphertext)>.<base64url(tag)>
 *
 * The context is bound as GCM additional data (and by the wrapper to the wrapped key), so a
 * sealed secret copied to another factor does not open.
 */

export type SealContext = Readonly<Record<string, string>>;

/** Makes and unwraps data keys. Callers zero every plaintext key they get once used. */
export interface DataKeyWrapper {
  /** A fresh 32-byte data key and its wrapped form, bound to `context`. */
  generate(context: SealContext): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }>;
  /** The data key inside `wrapped`; throws when `context` or the key does not match. */
  unwrap(wrapped: Uint8Array, context: SealContext): Promise<Uint8Array>;
}

const VERSION = 'v1';
export const DATA_KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The context as canonical JSON: an array of `[name, value]` pairs sorted by name. Pairs,
 * not an object, because `JSON.stringify` puts integer-like keys first whatever their order.
 */
export const canonicalContext = (context: SealContext): Buffer => {
  const pairs = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, value] of pairs) {
    if (typeof value !== 'string') throw new TypeError('Seal context values must be strings');
  }
  return Buffer.from(JSON.stringify(pairs), 'utf8');
};

/** AES-256-GCM with a random 12-byte IV and a 16-byte tag. */
export const gcmSeal = (
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): { iv: Buffer; ciphertext: Buffer; tag: Buffer } => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
};

/** Inverse of {@link gcmSeal}; any mismatch (key, data, tag, AAD) throws `unseal_failed`. */
export const gcmOpen = (
  key: Uint8Array,
  parts: { iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array },
  aad: Uint8Array,
): Buffer => {
  // authTagLength pins the tag size: without it Node accepts a truncated tag.
  const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(parts.tag);
  try {
    return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch (error) {
    throw new CryptoError('unseal_failed', 'Sealed secret does not open', { cause: error });
  }
};

const b64 = (data: Uint8Array): string => Buffer.from(data).toString('base64url');

function malformed(): never {
  throw new CryptoError('malformed_sealed', 'Not a sealed secret of this service');
}

/** Decodes one part, refusing anything but canonical unpadded base64url. */
const part = (text: string | undefined): Buffer => {
  if (text === undefined || !BASE64URL.test(text)) malformed();
  const bytes = Buffer.from(text, 'base64url');
  if (b64(bytes) !== text) malformed();
  return bytes;
};

/** Splits a `v1.` sealed string into its four parts (strict: sizes and encoding). */
export const parseSealed = (sealed: string) => {
  const fields = typeof sealed === 'string' ? sealed.split('.') : [];
  if (fields.length !== 5 || fields[0] !== VERSION) malformed();
  const wrapped = part(fields[1]);
  const iv = part(fields[2]);
  const ciphertext = part(fields[3]);
  const tag = part(fields[4]);
  if (wrapped.length === 0 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) malformed();
  return { wrapped, iv, ciphertext, tag };
};

const formatSealed = (wrapped: Uint8Array, sealed: ReturnType<typeof gcmSeal>): string =>
  [VERSION, ...[wrapped, sealed.iv, sealed.ciphertext, sealed.tag].map(b64)].join('.');

const checkDataKey = (key: Uint8Array): Uint8Array => {
  if (key.length !== DATA_KEY_BYTES) {
    key.fill(0);
    throw new CryptoError('bad_response', 'Data key is not 256 bits');
  }
  return key;
};

/**
 * A `SecretBox` over a data-key wrapper. The plaintext data key is zeroed as soon as the
 * secret is sealed or opened (best effort: OpenSSL and the SDK may hold their own copies).
 */
export const createEnvelopeSecretBox = (wrapper: DataKeyWrapper): SecretBox => ({
  seal: async (plaintext, context) => {
    const aad = canonicalContext(context);
    const dataKey = await wrapper.generate(context);
    try {
      const sealed = gcmSeal(checkDataKey(dataKey.plaintext), plaintext, aad);
      return formatSealed(dataKey.wrapped, sealed);
    } finally {
      dataKey.plaintext.fill(0);
    }
  },
  open: async (sealed, context) => {
    const aad = canonicalContext(context);
    const parts = parseSealed(sealed);
    const dataKey = checkDataKey(await wrapper.unwrap(parts.wrapped, context));
    try {
      return gcmOpen(dataKey, parts, aad);
    } finally {
      dataKey.fill(0);
    }
  },
});
