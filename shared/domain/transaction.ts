import type { StartInput } from '../flow.js';
import { epochSeconds } from '../ports/clock.js';
import type {
  FactorType,
  StoredFactor,
  TransactionRecord,
  TransactionView,
  UserFactors,
} from './entities.js';
import type { ScaCategory } from './mfa-token.js';
import { factorHelps, type Level, levelMet, union } from './requirement.js';

/** The statuses of a transaction that can still take a step. */
export const LIVE_STATUSES: ReadonlySet<string> = new Set(['MFA_REQUIRED', 'MFA_CHALLENGE']);

/** Transactions one start removes at most. */
export const MAX_PRUNED_PER_START = 50;

export type StartDecision =
  | { readonly status: 'MFA_ENROLL' }
  | {
      readonly status: 'MFA_REQUIRED';
      readonly record: TransactionRecord;
      /** The user's ACTIVE factors, oldest first: the ones the transaction can use. */
      readonly active: readonly StoredFactor[];
      /**
       * Those usable first, which the start answer lists: all of `active` but a factor
       * offered only to follow one that does not stand alone (a PIN after a recovery code).
       */
      readonly offered: readonly StoredFactor[];
      /** Transactions of the user past their retention, removed as this one is added. */
      readonly prune: readonly string[];
    };

/**
 * Decides the outcome of `POST /v1/authn`. An unknown user and a known user without an
 * active factor get the same `MFA_ENROLL` shape, so the answer never tells whether a user
 * exists; nothing is stored for them.
 */
export const decideStart = (args: {
  input: StartInput;
  user: UserFactors | undefined;
  transactionId: string;
  now: Date;
  stateTokenTtlSeconds: number;
  /**
   * An open transaction stays in its user's item this long after it expires (status still
   * answers `EXPIRED` meanwhile); the user's next start then removes it. A finished one
   * (success, cancelled, locked out) is removed by the next start whatever its age.
   */
  retentionSeconds: number;
  /** The level the policy requires. @default 'mfa' */
  level?: Level;
  /** The policy rule that decided the start, if one did (the token's `sca.rule`). */
  rule?: string;
  /** The app's policy counts email as possession. */
  emailIsPossession?: boolean;
  /** The start's device id as stored (`deviceRef`), remembered by a successful SCA. */
  deviceRef?: string;
  /** The policy's `rememberDevice.days` (absent: no device is remembered). */
  rememberDays?: number;
  /** False for a factor that never meets `sca` next to only the app's sign-in. @default true */
  standsAlone?: (factor: StoredFactor) => boolean;
  /** The SCA categories a verified factor proves (its kind's, under the app's policy). */
  categoriesOf: (factor: StoredFactor) => readonly ScaCategory[];
}): StartDecision => {
  const { input, now, transactionId, user } = args;
  const level = args.level ?? 'mfa';
  const primaryAuth =
    input.context?.primaryAuth && input.context.primaryAuth !== 'none'
      ? input.context.primaryAuth
      : undefined;
  const proven = primaryAuth ? [primaryAuth] : [];
  // Only factors that bring the transaction closer to its level are offered (and usable).
  const actives = Object.values(user?.factors ?? {})
    .filter((factor) => factor.status === 'ACTIVE')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const helps = (factor: StoredFactor, base: readonly ScaCategory[]) =>
    factorHelps(level, base, args.categoriesOf(factor));
  const standsAlone = args.standsAlone ?? (() => true);
  // At `sca`, a factor that does not stand alone (recovery codes) is offered only where
  // another factor could follow it: else it would be spent on a transaction that cannot end.
  const followed = (factor: StoredFactor) =>
    level !== 'sca' ||
    standsAlone(factor) ||
    actives.some((other) => other !== factor && helps(other, args.categoriesOf(factor)));
  const offered = actives.filter((factor) => helps(factor, proven) && followed(factor));
  // A factor that does not stand alone (recovery codes) needs a second factor even where the
  // app's own sign-in would do: the factors that help without that sign-in may follow it.
  const active =
    level === 'sca' && proven.length > 0 && offered.some((factor) => !standsAlone(factor))
      ? actives.filter((factor) => offered.includes(factor) || helps(factor, []))
      : offered;
  // Factors that cannot reach the level together (at `sca`, fewer than two categories among
  // them and the app's sign-in: an SMS code and TOTP, email and a PIN) would end in a step
  // with nothing left to offer: answered as when none helps, the user needs another factor.
  const reachable = levelMet(level, union(proven, active.flatMap(args.categoriesOf)));
  if (!user || active.length === 0 || !reachable) {
    return { status: 'MFA_ENROLL' };
  }
  const expires = new Date(now.getTime() + args.stateTokenTtlSeconds * 1000);
  const factors: Record<string, FactorType> = {};
  for (const factor of active) factors[factor.factorId] = factor.type;
  const record: TransactionRecord = {
    transactionId,
    status: 'MFA_REQUIRED',
    createdAt: now.toISOString(),
    expiresAt: expires.toISOString(),
    expiresAtEpoch: epochSeconds(expires),
    transaction: input.transaction,
    consentId: input.consentId,
    ...(level === 'sca' ? { level } : {}),
    ...(args.rule ? { rule: args.rule } : {}),
    ...(proven.length ? { proven } : {}),
    ...(args.emailIsPossession ? { emailIsPossession: true } : {}),
    // Offered only to follow a factor that does not stand alone: not usable first (taking an
    // attempt or sending a code for it would prove nothing the transaction needs yet).
    ...(active.length > offered.length
      ? { helping: offered.map((factor) => factor.factorId) }
      : {}),
    ...(args.deviceRef ? { deviceRef: args.deviceRef } : {}),
    ...(args.rememberDays === undefined ? {} : { rememberDays: args.rememberDays }),
    factors,
    pruneAfter: epochSeconds(expires) + args.retentionSeconds,
  };
  const nowSeconds = epochSeconds(now);
  // Finished ones go at once; open ones stay until their retention ends. A bounded batch keeps
  // the write's expressions far below DynamoDB's 4 KB limit.
  const prune = Object.entries(user.txns ?? {})
    .filter(([, txn]) => !LIVE_STATUSES.has(txn.status) || txn.pruneAfter <= nowSeconds)
    .map(([hash]) => hash)
    .slice(0, MAX_PRUNED_PER_START);
  return { status: 'MFA_REQUIRED', record, prune, active, offered };
};

/** The transaction with this state token hash in a user item, with the item (undefined: none). */
export const transactionView = (
  ref: { readonly stateTokenHash: string },
  user: UserFactors | undefined,
): TransactionView | undefined => {
  const txn = user?.txns?.[ref.stateTokenHash];
  return user && txn ? { txn, user } : undefined;
};

/** Seconds until the oldest open transaction of a user can be pruned (a start refused for too many). */
export const secondsUntilPrunable = (user: UserFactors | undefined, nowSeconds: number): number => {
  const times = Object.values(user?.txns ?? {})
    .filter((txn) => LIVE_STATUSES.has(txn.status))
    .map((txn) => txn.pruneAfter - nowSeconds);
  return times.length ? Math.max(1, Math.min(...times)) : 1;
};

/** Transactions the user would hold after this start's pruning. */
export const keptTransactions = (user: UserFactors, prune: readonly string[]): number =>
  Object.keys(user.txns ?? {}).length - prune.length;
