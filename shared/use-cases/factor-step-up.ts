import { importJwks } from '../authz/jwks-source.js';
import { checkRecency } from '../authz/recency.js';
import { createMfaTokenVerifier, InvalidTokenError } from '../authz/token-verifier.js';
import { MfaError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { UserFactors } from '../ports/store.js';

/** The request header that carries the user's MFA token on a factor change. */
export const MFA_TOKEN_HEADER = 'x-mfa-token';

const stepUp = (maxAge: number, detail: string) =>
  new MfaError('insufficient_user_authentication', detail, { maxAge });

/**
 * With `FACTOR_CHANGE_MAX_AGE_SECONDS` set, a user who already has an active factor changes
 * their factors (enroll, activate, resend, delete) only with an MFA token of this service for that user and
 * this app, from at most that many seconds ago: a stolen password (or an app session) alone
 * cannot add the attacker's phone or remove the user's own. Returns the `txn` of the token
 * used, for the audit trail. A user without an active factor has nothing to prove it with.
 */
export const requireRecentMfa = async (
  deps: TaskDeps,
  args: {
    clientId: string;
    userId: string;
    user: UserFactors | undefined;
    mfaToken?: string;
  },
): Promise<string | undefined> => {
  const maxAge = deps.config.FACTOR_CHANGE_MAX_AGE_SECONDS;
  if (maxAge === 0) return undefined;
  if (!Object.values(args.user?.factors ?? {}).some((factor) => factor.status === 'ACTIVE'))
    return undefined;
  if (!args.mfaToken) {
    throw stepUp(
      maxAge,
      `This user has an active factor: send their MFA token (header X-MFA-Token) from the last ${maxAge} s`,
    );
  }
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
  let claims: Awaited<ReturnType<typeof verifier.verify>>;
  try {
    claims = await verifier.verify(args.mfaToken);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      deps.log.info('factor change refused: invalid MFA token', { reason: error.reason });
      throw new MfaError('invalid_token', 'The MFA token is not valid for this app');
    }
    throw error;
  }
  if (claims.sub !== args.userId) {
    throw new MfaError('invalid_token', 'The MFA token is for another user');
  }
  if (!checkRecency(claims, { maxAge }, epochSeconds(deps.clock.now())).ok) {
    throw stepUp(maxAge, `The MFA token is older than ${maxAge} s: authenticate again`);
  }
  return claims.txn;
};
