import { importJwks } from '../authz/jwks-source.js';
import { createMfaTokenVerifier, InvalidTokenError } from '../authz/token-verifier.js';
import type { MfaTokenClaims } from '../domain/mfa-token.js';
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
