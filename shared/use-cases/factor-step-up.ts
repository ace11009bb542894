import { checkRecency } from '../authz/recency.js';
import type { StepUpGuard, UserFactors } from '../domain/entities.js';
import { EXEMPT_ACR } from '../domain/mfa-token.js';
import type { MfaError } from '../errors.js';
import { categoriesOf, kindOf } from '../factors/registry.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { invalidUserToken, stepUpRequired, verifyUserToken } from './user-token.js';

/** The request header that carries the user's MFA token on a factor change. */
export const MFA_TOKEN_HEADER = 'x-mfa-token';

/** The verifier's clock skew: a spent token's entry outlives any chance of it passing. */
const SKEW_SECONDS = 60;
/** Spent-token entries one write removes at most (they are few: factor changes are rare). */
const MAX_PRUNED = 10;

/**
 * The user item, ready for guarded factor changes: an item of an older version gets the
 * counters the step-up guards read (one write, once).
 */
export const userForChange = async (deps: TaskDeps, clientId: string, userId: string) => {
  const user = await deps.factors.getUser(clientId, userId);
  if (!user || (user.activeCount !== undefined && user.stepUps !== undefined)) return user;
  await deps.factors.prepareGuards(clientId, userId, activeFactorCount(user));
  return deps.factors.getUser(clientId, userId);
};

const stepUp = (maxAge: number, detail: string, acr?: 'sca', reason?: 'acr') =>
  stepUpRequired(detail, acr ? { maxAge, acr } : { maxAge }, reason);

/** What a factor change passed: the `txn` of the token (audit) and the guard its write holds. */
export interface StepUp {
  readonly transactionId?: string;
  /** The condition the write of the change on `factorId` must hold (none: step-up is off). */
  guardFor(factorId: string): StepUpGuard | undefined;
}

const NOT_REQUIRED: StepUp = { guardFor: () => undefined };

/** The SCA categories the user's active factors prove between them, under the app's policy. */
const activeCategories = (user: UserFactors | undefined, emailIsPossession = false): Set<string> =>
  new Set(
    Object.values(user?.factors ?? {})
      .filter((factor) => factor.status === 'ACTIVE')
      .flatMap((factor) => categoriesOf(factor, { emailIsPossession })),
  );

export const activeFactorCount = (user: UserFactors | undefined): number =>
  Object.values(user?.factors ?? {}).filter((factor) => factor.status === 'ACTIVE').length;

/**
 * With `FACTOR_CHANGE_MAX_AGE_SECONDS` set, a user who already has an active factor changes
 * their factors (enroll, activate, resend, delete) only with an MFA token of this service for
 * that user and this app, from at most that many seconds ago: a stolen password (or an app
 * session) alone cannot add the attacker's phone or remove the user's own. The token is
 * checked before anything else is said about the factor (401 before 404).
 *
 * The check is also a condition of the write that makes the change, so a race cannot pass
 * it: "still no active factor" for a user who had none, or "this token not yet spent on
 * another factor" (a token is good for changes of one factor: its enroll, resends and
 * activation, or its deletion).
 */
export const requireRecentMfa = async (
  deps: TaskDeps,
  args: {
    clientId: string;
    userId: string;
    user: UserFactors | undefined;
    mfaToken?: string;
    emailIsPossession?: boolean;
  },
): Promise<StepUp> => {
  const maxAge = deps.config.FACTOR_CHANGE_MAX_AGE_SECONDS;
  if (maxAge === 0) return NOT_REQUIRED;
  if (activeFactorCount(args.user) === 0) {
    return { guardFor: () => ({ kind: 'no_active_factor' }) };
  }
  // A user whose factors prove two categories changes them only with two (below): every
  // challenge to them says so (`acr_values="sca"`), so the app steps up once.
  const needs =
    activeCategories(args.user, args.emailIsPossession).size >= 2 ? ('sca' as const) : undefined;
  const refuse = (detail: string, reason?: 'acr') => stepUp(maxAge, detail, needs, reason);
  if (!args.mfaToken) {
    throw refuse(
      `This user has an active factor: send their MFA token (header X-MFA-Token) from the last ${maxAge} s`,
    );
  }
  const verified = await verifyUserToken(deps, { ...args, mfaToken: args.mfaToken });
  if (!verified.ok) {
    throw invalidUserToken(
      verified.reason === 'user'
        ? 'The MFA token is for another user'
        : 'The MFA token is not valid for this app',
    );
  }
  const { claims } = verified;
  // A token is the proof of what the user approved: a payment or a consent is not a factor
  // change, so its token cannot authorize one (else approving a 0.00 payment would).
  if (claims.authorization_details !== undefined || claims.consent_id !== undefined) {
    throw refuse(
      'This MFA token approved a payment or a consent: step up without a transaction for a factor change',
    );
  }
  // An exempt token proves nobody authenticated: it changes nothing.
  if (claims.acr === EXEMPT_ACR || claims.amr === undefined || claims.auth_time === undefined) {
    throw refuse('This MFA token comes from a policy exemption: authenticate with a factor');
  }
  const { amr } = claims;
  // A PIN is knowledge, like the password the app already checked: alone it cannot change
  // the factors of a user who has a factor of another kind (two knowledge factors are not
  // two categories).
  const beyondKnowledge = claims.acr === 'sca' || amr.some((m) => m !== 'pin' && m !== 'mfa');
  const hasOtherKind = Object.values(args.user?.factors ?? {}).some((factor) => {
    const { categories } = kindOf(factor.type);
    const knowledgeOnly = categories.length > 0 && categories.every((c) => c === 'knowledge');
    return factor.status === 'ACTIVE' && !knowledgeOnly;
  });
  if (!beyondKnowledge && hasOtherKind) {
    throw refuse('A PIN alone cannot change factors: authenticate with a code', 'acr');
  }
  // A user whose factors prove two categories changes them only with two: else one factor
  // (a swapped SIM) deletes the other (the PIN) and enrolls its own.
  if (claims.acr !== 'sca' && needs === 'sca') {
    throw refuse(
      'This user\'s factors prove two SCA categories: a factor change needs a token with acr "sca"',
      'acr',
    );
  }
  const now = epochSeconds(deps.clock.now());
  if (!checkRecency(claims, { maxAge }, now).ok) {
    throw refuse(`The MFA token is older than ${maxAge} s: authenticate again`);
  }
  const spent = args.user?.stepUps ?? {};
  const until = spentUntil(claims.exp);
  const prune = expiredStepUps(args.user, now);
  return {
    transactionId: claims.txn,
    guardFor: (factorId) => {
      const use = spent[claims.jti];
      if (use && use.factorId !== factorId) throw spentToken(maxAge);
      return { kind: 'token', jti: claims.jti, use: { factorId, until }, prune };
    },
  };
};

/**
 * Until when a spent token's entry must stay: after it, the token passes no check anywhere.
 * Its expiry, not a route's max age: the routes that spend tokens ask different ages (a factor
 * change `FACTOR_CHANGE_MAX_AGE_SECONDS`, a payee change 300 s), and an entry gone when one
 * route stops accepting the token would let the other accept it again.
 */
export const spentUntil = (exp: number): number => exp + SKEW_SECONDS;

/** Spent-token entries past their `until` (a bounded batch): the next spending write removes them. */
export const expiredStepUps = (user: UserFactors | undefined, now: number): string[] =>
  Object.entries(user?.stepUps ?? {})
    .filter(([, use]) => use.until < now)
    .map(([jti]) => jti)
    .slice(0, MAX_PRUNED);

const spentToken = (maxAge: number) =>
  stepUp(maxAge, 'This MFA token was already used for another factor change: authenticate again');

/**
 * Whether a guard still holds on the item as it is now: a guarded write that was refused
 * reads again, and this says whether the guard was the reason.
 */
export const guardRefusal = (
  deps: TaskDeps,
  user: UserFactors | undefined,
  guard: StepUpGuard | undefined,
): MfaError | undefined => {
  const maxAge = deps.config.FACTOR_CHANGE_MAX_AGE_SECONDS;
  if (!guard) return undefined;
  if (guard.kind === 'no_active_factor') {
    return (user?.activeCount ?? 0) > 0
      ? stepUp(
          maxAge,
          `This user now has an active factor: send their MFA token (header X-MFA-Token) from the last ${maxAge} s`,
        )
      : undefined;
  }
  const use = user?.stepUps?.[guard.jti];
  return use && use.factorId !== guard.use.factorId ? spentToken(maxAge) : undefined;
};
