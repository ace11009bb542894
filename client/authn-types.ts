/**
 * Authentication-transaction and key bodies of the HTTP contract (API.md v1 and v1.1). Where
 * API.md gives several answers, the type is a union discriminated by `status`; the contract
 * only ever adds fields, so answers may carry more members than typed here.
 */
import type { Factor, ScaCategory } from './factor-types.js';

export type PrimaryAuth = ScaCategory | 'none';

export interface StartAuthnRequest {
  readonly userId: string;
  readonly context?: {
    readonly ip?: string;
    readonly userAgent?: string;
    readonly deviceId?: string;
    /** ISO 3166 alpha-2. */
    readonly country?: string;
    /** The category of the app's own sign-in. @default 'none' */
    readonly primaryAuth?: PrimaryAuth;
    /** The app's transaction risk analysis, 0-100. */
    readonly riskScore?: number;
  };
  /** SCA dynamic linking: the payment the user approves. */
  readonly transaction?: {
    /** A decimal string such as `"250.00"`. */
    readonly amount: string;
    /** ISO 4217, upper case. */
    readonly currency: string;
    readonly payee: string;
    /** The payee's account id (an IBAN): what trusted payees are keyed by. */
    readonly payeeAccount?: string;
    readonly recurring?: boolean;
  };
  readonly consentId?: string;
}

/** What a transaction still needs: `categories` is empty for `mfa` and once met. */
export interface Requirement {
  readonly level: 'mfa' | 'sca';
  readonly categories: readonly ScaCategory[];
}

export type Exemption =
  | 'low_value'
  | 'trusted_beneficiary'
  | 'recurring'
  | 'transaction_risk_analysis'
  | 'remembered_device'
  | 'policy_rule';

/** A factor to prove: verify one of `factors` with this `stateToken`. */
export interface MfaRequired {
  readonly status: 'MFA_REQUIRED';
  readonly transactionId: string;
  /** Opaque; send it back to challenge, verify, cancel and status. */
  readonly stateToken: string;
  readonly requirement: Requirement;
  /** The ACTIVE factors that can help meet `requirement`. */
  readonly factors: readonly Factor[];
}

export interface MfaEnroll {
  readonly status: 'MFA_ENROLL';
  readonly transactionId: string;
  readonly factors: readonly [];
}

/** A signed MFA token (JWS, ES256, `typ: "mfa+jwt"`). */
export interface MfaSuccess {
  readonly status: 'SUCCESS';
  readonly transactionId: string;
  readonly token: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the token expires. */
  readonly expiresIn: number;
  /** API.md "Receipts": a compact JWS (`typ: "sca-receipt+jwt"`) recording the operation; keep it. */
  readonly receipt?: string;
}

/** A policy exemption: the token has `acr: "exempt"`, no `auth_time` and no `amr`. */
export interface ExemptSuccess extends Omit<MfaSuccess, 'tokenType' | 'expiresIn'> {
  readonly exemption: Exemption;
  /** Sent by the service, though API.md names only `token` and `exemption`. */
  readonly tokenType?: 'Bearer';
  readonly expiresIn?: number;
}

export type StartAuthnResult =
  | (MfaRequired & { readonly expiresAt: string })
  | MfaEnroll
  | ExemptSuccess;

export interface StateTokenRequest {
  readonly stateToken: string;
}

export interface ChallengeResult {
  readonly status: 'MFA_CHALLENGE';
  readonly factorId: string;
  /** RFC 3339 UTC: the code's expiry. */
  readonly expiresAt: string;
  /** RFC 3339 UTC: no new code before this time (429 `resend_too_soon`). */
  readonly resendAfter: string;
  /** `webauthn`: b64u(SHA-256(JCS({ txn, amount, currency, payee, payeeAccount, consentId }))). */
  readonly binding?: string;
  /** `webauthn`: this challenge's nonce; the WebAuthn challenge is SHA-256(JCS({ binding, nonce })). */
  readonly nonce?: string;
  /** `webauthn`: PublicKeyCredentialRequestOptions JSON. */
  readonly publicKey?: Readonly<Record<string, unknown>>;
  /** `webauthn` with a payment: the Secure Payment Confirmation request data. */
  readonly securePaymentConfirmation?: Readonly<Record<string, unknown>>;
}

/** A code or PIN (`passCode`), or (`webauthn`) an AuthenticationResponseJSON. */
export type VerifyRequest = StateTokenRequest &
  ({ readonly passCode: string } | { readonly credential: Readonly<Record<string, unknown>> });

/** `SUCCESS`, or (factor sequencing) `MFA_REQUIRED` with the same state token. */
export type VerifyResult = MfaSuccess | MfaRequired;

export interface CancelResult {
  readonly status: 'CANCELLED';
}

export interface TransactionStatus {
  readonly status:
    | 'MFA_REQUIRED'
    | 'MFA_CHALLENGE'
    | 'SUCCESS'
    | 'CANCELLED'
    | 'LOCKED_OUT'
    | 'EXPIRED';
  readonly transactionId: string;
  readonly expiresAt: string;
  /** While the transaction is open and a code was tried. */
  readonly attemptsRemaining?: number;
}

/** A public JWK (never a private member). */
export interface Jwk {
  readonly kty: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly [member: string]: unknown;
}

export interface Jwks {
  readonly keys: readonly Jwk[];
}

export interface OpenIdConfiguration {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly [member: string]: unknown;
}
