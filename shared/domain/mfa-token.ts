/**
 * The MFA token (API.md "The MFA token"): a JWS, `alg` ES256, header `typ: "mfa+jwt"` and
 * `kid`. This file is the one definition of its claims, used by the signer and the verifier.
 */
export const MFA_TOKEN_TYPE = 'mfa+jwt';
export const MFA_TOKEN_ALG = 'ES256';
export const MFA_ACR = 'mfa';

/** RFC 9396 authorization detail for SCA dynamic linking. */
export interface PaymentInitiationDetail {
  readonly type: 'payment_initiation';
  readonly instructedAmount: { readonly amount: string; readonly currency: string };
  readonly creditorName: string;
}

export interface MfaTokenClaims {
  /** The issuer URL. */
  readonly iss: string;
  /** The user id. */
  readonly sub: string;
  /** The client id of the app that ran the transaction. */
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  /** Unique token id. */
  readonly jti: string;
  /** Epoch seconds when the factor was verified. */
  readonly auth_time: number;
  /** RFC 8176 values, e.g. ["sms","otp","mfa"], ["otp","mfa"] for totp. */
  readonly amr: readonly string[];
  readonly acr: string;
  /** The transaction id (the authentication operation id). */
  readonly txn: string;
  readonly consent_id?: string;
  readonly authorization_details?: readonly PaymentInitiationDetail[];
}
