import { acrSatisfies, authenticatedAt, type MfaTokenClaims } from '../domain/mfa-token.js';

/** What a protected route demands of a verified MFA token. */
export interface RoutePolicy {
  /** Seconds since `auth_time` (an exempt token: `iat`) after which the user must authenticate again. */
  readonly maxAge: number;
  /**
   * The level the route needs (space-separated `acr` values, any one will do; none: `mfa`):
   * `mfa` accepts `sca` too, `sca` only `sca`, `exempt` only where listed.
   */
  readonly acr?: string;
}

export type RecencyResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: 'max_age' | 'acr';
      readonly wwwAuthenticate: string;
      /** The challenge's `error_description`, for the problem's `detail`. */
      readonly description: string;
    };

/** The challenge for a missing, malformed, forged or expired token (RFC 6750 §3). */
export const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

export const STALE = 'A more recent authentication is required';
export const WRONG_LEVEL = 'A different authentication level is required';

/** RFC 9470 §3: the step-up challenge, naming what a new token must satisfy. */
export const stepUpChallenge = (description: string, policy: RoutePolicy): string => {
  const acr = policy.acr === undefined ? '' : `, acr_values="${policy.acr}"`;
  return `Bearer error="insufficient_user_authentication", error_description="${description}", max_age=${policy.maxAge}${acr}`;
};

/**
 * Checks a verified token against a route's policy (RFC 9470). No clock skew here: the
 * route's `maxAge` is the whole allowance, and a token exactly `maxAge` seconds old passes.
 * A level mismatch is reported first, since a fresher token of the wrong level would not help.
 *
 * @example
 * const result = checkRecency(claims, { maxAge: 60 }, epochSeconds(clock.now()));
 * if (!result.ok) deny(result.wwwAuthenticate);
 */
export const checkRecency = (
  claims: Pick<MfaTokenClaims, 'auth_time' | 'iat' | 'acr'>,
  policy: RoutePolicy,
  nowSeconds: number,
): RecencyResult => {
  if (!acrSatisfies(policy.acr, claims.acr)) {
    return {
      ok: false,
      reason: 'acr',
      wwwAuthenticate: stepUpChallenge(WRONG_LEVEL, policy),
      description: WRONG_LEVEL,
    };
  }
  if (nowSeconds - authenticatedAt(claims) > policy.maxAge) {
    return {
      ok: false,
      reason: 'max_age',
      wwwAuthenticate: stepUpChallenge(STALE, policy),
      description: STALE,
    };
  }
  return { ok: true };
};
