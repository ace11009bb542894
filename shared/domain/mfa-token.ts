/**
 * The MFA token (API.md "The MFA token"): a JWS, `alg` ES256, header `typ: "mfa+jwt"` and
 * `kid`. This file is the one definition of its claims, used by the signer and the verifier.
 */
export const MFA_TOKEN_TYPE = 'mfa+jwt';
export const MFA_TOKEN_ALG = 'ES256';
export const MFA_ACR = 'mfa';
/** Strong Customer Authentication: two distinct categories proven (API.md "Factor sequencing"). */
export const SCA_ACR = 'sca';
/** The longest life of an MFA token (`TOKEN_TTL_SECONDS` at most; verifiers refuse longer). */
export const MAX_TOKEN_TTL_SECONDS = 3600;

/** A policy exemption: nobody authenticated (no `auth_time`, no `amr`; API.md "Start"). */
export const EXEMPT_ACR = 'exempt';

/** The SCA categories an authentication can prove (API.md "Factor categories"). */
export type ScaCategory = 'knowledge' | 'possession' | 'inherence';

/**
 * The `acr` of a token from the categories its transaction proved (the verified factors' and
 * the app's own sign-in, `context.primaryAuth`): `sca` for two or more distinct ones, else `mfa`.
 */
export const acrFor = (categories: Iterable<ScaCategory>): typeof SCA_ACR | typeof MFA_ACR =>
  new Set(categories).size >= 2 ? SCA_ACR : MFA_ACR;

/**
 * Levels a route can ask for, and what satisfies each: a route asking `mfa` accepts `sca`
 * (stronger), one asking `sca` only `sca`, and `exempt` (a policy exemption, no
 * authentication) only where the route lists it.
 */
const SATISFIES: Readonly<Record<string, readonly string[]>> = {
  mfa: ['mfa', 'sca'],
  sca: ['sca'],
  exempt: ['exempt'],
};

/** Whether a token's `acr` meets a route's `acr` (space-separated values; none: `mfa`). */
export const acrSatisfies = (routeAcr: string | undefined, tokenAcr: string): boolean =>
  (routeAcr ?? MFA_ACR)
    .split(' ')
    .filter(Boolean)
    .some((wanted) =>
      (Object.hasOwn(SATISFIES, wanted) ? (SATISFIES[wanted] ?? []) : [wanted]).includes(tokenAcr),
    );

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
  /** Epoch seconds when the factor was verified. Absent exactly when `acr` is `exempt`. */
  readonly auth_time?: number;
  /** RFC 8176 values, e.g. ["sms","otp","mfa"], ["otp","mfa"] for totp. Absent exactly when `acr` is `exempt`. */
  readonly amr?: readonly string[];
  readonly acr: string;
  /** The transaction id (the authentication operation id). */
  readonly txn: string;
  readonly consent_id?: string;
  readonly authorization_details?: readonly PaymentInitiationDetail[];
  /** The payee's account id, when the payment named one (`transaction.payeeAccount`). */
  readonly payee_account?: string;
  /** What the app's policy decided at the start (API.md v1.1): `decision`, `rule`, `exemption`. */
  readonly sca?: { readonly decision: string; readonly rule?: string; readonly exemption?: string };
}

/**
 * When the user last authenticated for this token: `auth_time`, or for an exempt token (no
 * authentication) the time it was issued, so a route's max age still bounds its use.
 */
export const authenticatedAt = (claims: Pick<MfaTokenClaims, 'auth_time' | 'iat'>): number =>
  claims.auth_time ?? claims.iat;
