import { at, cmp, exists } from './memory-table.js';

/**
 * The conditions of shared/adapters/aws/dynamo-transactions.ts as predicates, for the
 * in-memory `TransactionStore` (memory-transactions.ts): `WHEN` fragment by fragment, under
 * the same names and each with the expression it mirrors, and the adapter's inline
 * conditions. A missing attribute compares false, as in DynamoDB.
 */
const ACTIVE = 'ACTIVE';
const OPEN = ['MFA_REQUIRED', 'MFA_CHALLENGE'];

/** The expression values a transaction condition reads (`:now`, `:fid`, ...). */
export interface Values {
  readonly now?: number;
  readonly fid?: string;
  readonly maxSends?: number;
  readonly edge?: number;
  readonly max?: number;
  readonly last?: number;
  readonly owner?: string;
  readonly mac?: string;
  readonly step?: number;
  /** `#c`: the recovery code a completing write spends. */
  readonly code?: string;
  /** `:count`: a passkey assertion's sign counter. */
  readonly count?: number;
  /** `:tid`: the transaction id the state token names. */
  readonly tid?: string;
}
/** What a condition sees: the transaction `T` (`txns.#h`) and the factor `F` (`factors.#f`). */
export interface Scope {
  /** The whole item ({} when there is none). */
  readonly item: Record<string, unknown>;
  readonly T: unknown;
  readonly F: unknown;
  readonly v: Values;
}
export type Fragment = (scope: Scope) => boolean;

/** `WHEN` of shared/adapters/aws/dynamo-transactions.ts, fragment by fragment. */
export const WHEN = {
  /** `${T}.transactionId = :tid` */
  named: ({ T, v }: Scope) => cmp(at(T, 'transactionId'), '=', v.tid),
  /** `${T}.#status IN (:required, :challenge)` */
  open: ({ T }: Scope) => OPEN.includes(at(T, 'status') as string),
  /** `${T}.expiresAtEpoch > :now` */
  unexpired: ({ T, v }: Scope) => cmp(at(T, 'expiresAtEpoch'), '>', v.now),
  /** `attribute_exists(${T}.factors.#f)` */
  inTransaction: ({ T, v }: Scope) => exists(at(T, 'factors', v.fid ?? '')),
  /** `${F}.#status = :active AND (attribute_not_exists(${F}.lockedUntil) OR ${F}.lockedUntil <= :now)` */
  usable: ({ F, v }: Scope) =>
    cmp(at(F, 'status'), '=', ACTIVE) &&
    (!exists(at(F, 'lockedUntil')) || cmp(at(F, 'lockedUntil'), '<=', v.now)),
  /** `(attribute_not_exists(${T}.sends) OR ${T}.sends < :maxSends)` */
  underSendCap: ({ T, v }: Scope) =>
    !exists(at(T, 'sends')) || cmp(at(T, 'sends'), '<', v.maxSends),
  /** `(attribute_not_exists(${T}.lastSentAt) OR ${T}.lastSentAt <= :edge)` */
  pastCooldown: ({ T, v }: Scope) =>
    !exists(at(T, 'lastSentAt')) || cmp(at(T, 'lastSentAt'), '<=', v.edge),
  /** `(attribute_not_exists(${T}.attempts) OR ${T}.attempts < :max)` */
  underAttempts: ({ T, v }: Scope) =>
    !exists(at(T, 'attempts')) || cmp(at(T, 'attempts'), '<', v.max),
  /** `${T}.#status = :challenge AND ${T}.challengeFactorId = :fid AND ${T}.codeExpiresAt > :now AND attribute_exists(${T}.codeMac)` */
  liveCode: ({ T, v }: Scope) =>
    cmp(at(T, 'status'), '=', 'MFA_CHALLENGE') &&
    cmp(at(T, 'challengeFactorId'), '=', v.fid) &&
    cmp(at(T, 'codeExpiresAt'), '>', v.now) &&
    exists(at(T, 'codeMac')),
  /** `(attribute_not_exists(${F}.failures) OR ${F}.failures < :last)` */
  belowLastFailure: ({ F, v }: Scope) =>
    !exists(at(F, 'failures')) || cmp(at(F, 'failures'), '<', v.last),
  /** `(attribute_not_exists(${T}.helping) OR contains(${T}.helping, :fid))` */
  helps: ({ T, v }: Scope) => {
    const helping = at(T, 'helping');
    return !exists(helping) || (Array.isArray(helping) && helping.includes(v.fid));
  },
  /** `${F}.failures >= :last` */
  atLastFailure: ({ F, v }: Scope) => cmp(at(F, 'failures'), '>=', v.last),
  /** `(attribute_not_exists(${F}.lockedUntil) OR ${F}.lockedUntil <= :now OR ${F}.lockOwner = :owner)` */
  unlockedOrOwn: ({ F, v }: Scope) =>
    !exists(at(F, 'lockedUntil')) ||
    cmp(at(F, 'lockedUntil'), '<=', v.now) ||
    cmp(at(F, 'lockOwner'), '=', v.owner),
  /** `${T}.codeMac = :mac` */
  sameCode: ({ T, v }: Scope) => cmp(at(T, 'codeMac'), '=', v.mac),
  /** `(attribute_not_exists(${F}.lastStep) OR ${F}.lastStep < :step)` */
  newStep: ({ F, v }: Scope) => !exists(at(F, 'lastStep')) || cmp(at(F, 'lastStep'), '<', v.step),
  /** `attribute_exists(${F}.recoveryCodes.#c)` */
  unspentCode: ({ F, v }: Scope) => exists(at(F, 'recoveryCodes', v.code ?? '')),
  /** `(attribute_not_exists(${F}.signCount) OR ${F}.signCount < :count)` */
  newerCount: ({ F, v }: Scope) =>
    !exists(at(F, 'signCount')) || cmp(at(F, 'signCount'), '<', v.count),
  /** `(attribute_not_exists(${F}.signCount) OR ${F}.signCount = :zero)` */
  zeroCount: ({ F }: Scope) => !exists(at(F, 'signCount')) || cmp(at(F, 'signCount'), '=', 0),
  /** `(attribute_not_exists(${T}.nonces) OR ${T}.nonces < :maxSends)` */
  underNonceCap: ({ T, v }: Scope) =>
    !exists(at(T, 'nonces')) || cmp(at(T, 'nonces'), '<', v.maxSends),
} as const satisfies Record<string, Fragment>;

/** The adapter's inline conditions (not in `WHEN`), each with the text it is written as. */
export const INLINE = {
  /** reserveAttempt, lock with no `seenCount`: `attribute_not_exists(${F}.lockCount)` */
  lockCountUnset: ({ F }: Scope) => !exists(at(F, 'lockCount')),
  /** reserveAttempt, lock with `seenCount`: `${F}.lockCount = :seenLocks` */
  lockCountSeen:
    (seen: number) =>
    ({ F }: Scope) =>
      cmp(at(F, 'lockCount'), '=', seen),
  /** complete: `${F}.#status = :active` */
  factorActive: ({ F }: Scope) => cmp(at(F, 'status'), '=', ACTIVE),
  /** complete, lifting: `${F}.lockOwner = :owner` */
  ownLock: ({ F, v }: Scope) => cmp(at(F, 'lockOwner'), '=', v.owner),
} as const;
