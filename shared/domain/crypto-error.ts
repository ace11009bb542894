/** Why a key, signature or sealed secret was refused: short, stable, safe to log. */
export type CryptoErrorCode =
  /** Not a strict DER ECDSA signature, or the wrong size for the curve. */
  | 'malformed_signature'
  /** Not a sealed string this service writes (`v1.` and four base64url parts). */
  | 'malformed_sealed'
  /** Authentication failed: wrong context, wrong key or tampered data. */
  | 'unseal_failed'
  /** A key that must not be used: wrong KMS key spec or usage, too short an OTP key. */
  | 'key_refused'
  /** A local key file that is not what this service writes; it is never overwritten. */
  | 'key_file_invalid'
  /** KMS or Secrets Manager answered without the field the call exists for. */
  | 'bad_response';

/**
 * The one error of the key adapters. These failures are internal (the caller answers 500 or
 * 503, never with this text); callers and tests branch on `code`, not on the message. The
 * message never holds key material, plaintext or ciphertext.
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';

  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
