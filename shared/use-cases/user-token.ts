import { importJwks } from '../authz/jwks-source.js';
import {
  INVALID_TOKEN_CHALLENGE,
  type RoutePolicy,
  STALE,
  stepUpChallenge,
  WRONG_LEVEL,
} from '../authz/recency.js';
import { createMfaTokenVerifier, InvalidTokenError } from '../authz/token-verifier.js';
import type { MfaTokenClaims } from '../domain/mfa-token.js';
import { MfaError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';

/** A user's MFA token sent back to this service (`X-MFA-Token`), checked. */
export type UserToken =
  | { readonly ok: true; readonly claims: MfaTokenClaims }
  /** `token`: not a valid token of this service for this app; `user`: for another user. */
  | { readonly ok: false; readonly reason: 'token' | 'user' };

/**
 * Verifies a user's MFA token as the authorizer does (signature first, then `iss`, `aud` =
 * this app, `exp`), against this service's own public keys, and that it names `userId`. The
 * caller decides what level and age it needs.
 */
export const verifyUserToken = async (
  deps: Pick<TaskDeps, 'config' | 'signer' | 'clock' | 'log'>,
  args: { clientId: string; userId: string; mfaToken: string },
): Promise<UserToken> => {
  const issuer = deps.config.MFA_ISSUER;
  if (!issuer) throw new Error('Invalid configuration: MFA_ISSUER');
  const keys = importJwks(await deps.signer.publicJwks());
  const verifier = createMfaTokenVerifier({
    issuer,
    audiences: [args.clientId],
    keys: { getKey: async (kid) => keys.get(kid) },
    now: () => deps.clock.now().getTime(),
    cacheSize: 0,
  });
  try {
    const claims = await verifier.verify(args.mfaToken);
    return claims.sub === args.userId ? { ok: true, claims } : { ok: false, reason: 'user' };
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    deps.log.info('MFA token refused', { reason: error.reason });
    return { ok: false, reason: 'token' };
  }
};

/**
 * 401 `insufficient_user_authentication` for a route that needs the user's token, with the
 * RFC 9470 challenge naming the age (and level) a new one must have, as the authorizer's.
 */
export const stepUpRequired = (
  detail: string,
  policy: RoutePolicy,
  /** `acr`: the token was of too low a level; else none, or too old. */
  reason?: 'acr',
): MfaError =>
  new MfaError(
    'insufficient_user_authentication',
    detail,
    { maxAge: policy.maxAge },
    { 'www-authenticate': stepUpChallenge(reason === 'acr' ? WRONG_LEVEL : STALE, policy) },
  );

/** 401 `invalid_token` (RFC 6750 §3): the token sent is not a valid one for this app and user. */
export const invalidUserToken = (detail: string): MfaError =>
  new MfaError('invalid_token', detail, {}, { 'www-authenticate': INVALID_TOKEN_CHALLENGE });
