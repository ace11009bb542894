/**
 * Port: envelope encryption of small secrets at rest (TOTP seeds). AWS: a KMS data key per
 * secret (AES-256-GCM); locally: the same format with a master key file in the data dir.
 * `context` is bound to the ciphertext (KMS encryption context / GCM additional data), so a
 * sealed secret copied to another factor does not open.
 */
export interface SecretBox {
  seal(plaintext: Uint8Array, context: Readonly<Record<string, string>>): Promise<string>;
  open(sealed: string, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}

/** Port: the server-side key for one-time-code HMACs (Secrets Manager on AWS, a file locally). */
export interface OtpKeyProvider {
  otpMacKey(): Promise<Uint8Array>;
}
