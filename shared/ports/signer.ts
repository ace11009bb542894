import type { MfaTokenClaims } from '../domain/mfa-token.js';
import type { ReceiptClaims } from '../domain/receipt.js';

/** The JWS types the service signs: MFA tokens and SCA receipts. */
export type JwsType = 'mfa+jwt' | 'sca-receipt+jwt';

/** A public EC P-256 JWK as published in the JWKS (never any private member). */
export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
  /**
   * NumericDate from which the key signed no more (a retired key, kept so that what it signed
   * stays verifiable): verifiers refuse a token it signed with a later `iat`, so a leaked
   * retired key cannot make fresh tokens. Absent: the key signs now (or is a KMS key, whose
   * private half never leaves KMS).
   */
  readonly retired_at?: number;
}

/**
 * Port: signs MFA tokens. AWS: an asymmetric KMS key (ECC_NIST_P256, the private key never
 * leaves KMS); locally: a generated key kept in the data dir. A failure throws: there is no
 * fallback key and never an unsigned token.
 */
export interface TokenSigner {
  /**
   * Compact JWS: alg ES256, kid of the active key, `typ` "mfa+jwt" (a token) or
   * "sca-receipt+jwt" (a receipt, `ReceiptClaims`).
   */
  sign(claims: MfaTokenClaims | ReceiptClaims, typ?: JwsType): Promise<string>;
  /** Every key a still-valid token may carry: the active one and those being retired. */
  publicJwks(): Promise<{ readonly keys: readonly PublicJwk[] }>;
}
