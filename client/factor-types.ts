/**
 * Factor and trusted-payee bodies of the HTTP contract (API.md v1 and v1.1), as the client
 * sends and receives them. The contract only ever adds fields: answers may carry more
 * members than typed here.
 */

export type FactorType = 'sms' | 'email' | 'totp' | 'pin' | 'webauthn' | 'recovery_code';
export type FactorStatus = 'PENDING_ACTIVATION' | 'ACTIVE';
/** The SCA categories a factor (or the app's own sign-in) proves. */
export type ScaCategory = 'knowledge' | 'possession' | 'inherence';

/** A factor's profile, always masked: `+44*******123`, `j***@example.com`. */
export interface FactorProfile {
  readonly phoneNumber?: string;
  readonly email?: string;
  /** `recovery_code`: codes left. */
  readonly remaining?: number;
  /** `webauthn`: the name given at enrollment, if any. */
  readonly displayName?: string;
  readonly [member: string]: unknown;
}

export interface Factor {
  readonly id: string;
  readonly type: FactorType;
  readonly status: FactorStatus;
  readonly profile: FactorProfile;
  /** RFC 3339 UTC. */
  readonly createdAt: string;
}

export type EnrollFactorRequest =
  | { readonly type: 'sms'; readonly phoneNumber: string }
  | { readonly type: 'email'; readonly email: string }
  | { readonly type: 'totp' }
  | { readonly type: 'pin'; readonly pin: string }
  | { readonly type: 'webauthn'; readonly displayName?: string }
  | { readonly type: 'recovery_code' };

/** What an enrollment needs next; absent for a factor active from its enrollment (a PIN). */
export interface Activation {
  /** RFC 3339 UTC: when the activation code (or TOTP activation window) ends. */
  readonly expiresAt?: string;
  /** `totp`: the base32 secret, shown only here. */
  readonly secret?: string;
  /** `totp`: `otpauth://totp/...`. */
  readonly otpauthUri?: string;
  /** `totp`: a `data:image/png;base64,` URL of the QR code. */
  readonly qrCode?: string;
  /** `webauthn`: PublicKeyCredentialCreationOptions in their JSON form. */
  readonly publicKey?: Readonly<Record<string, unknown>>;
  /** `recovery_code`: the codes, shown only here. */
  readonly codes?: readonly string[];
}

export interface EnrollFactorResult {
  readonly factor: Factor;
  readonly activation?: Activation;
}

/** A one-time code, or (`webauthn`) the RegistrationResponseJSON of the new credential. */
export type ActivateFactorRequest =
  | { readonly passCode: string }
  | { readonly credential: Readonly<Record<string, unknown>> };

export interface ActivateFactorResult {
  readonly factor: Factor;
}

export interface ResendActivationResult {
  readonly factor: Factor;
  readonly activation: { readonly expiresAt: string };
}

export interface FactorList {
  readonly factors: readonly Factor[];
}

export interface TrustedPayee {
  readonly payeeAccount: string;
  readonly payee: string;
  /** RFC 3339 UTC. */
  readonly addedAt: string;
}

export interface TrustedPayeeList {
  readonly payees: readonly TrustedPayee[];
}

export interface AddTrustedPayeeRequest {
  readonly payeeAccount: string;
  readonly payee: string;
}
