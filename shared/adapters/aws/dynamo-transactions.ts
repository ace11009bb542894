import type { TransactionRef, TransactionView, UserFactors } from '../../domain/entities.js';
import { DAY_SECONDS } from '../../domain/time.js';
import type { TransactionStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import type { TableOps } from './dynamo-table.js';

/** Paths inside the user item: `T` the transaction, `F` the factor (`#h`, `#f` are set below). */
const T = 'txns.#h';
const F = 'factors.#f';
const LIVE = { ':required': 'MFA_REQUIRED', ':challenge': 'MFA_CHALLENGE' };
const IS_LIVE = `${T}.#status IN (:required, :challenge)`;
const FACTOR_USABLE = `${F}.#status = :active AND (attribute_not_exists(${F}.lockedUntil) OR ${F}.lockedUntil <= :now)`;

const names = (ref: TransactionRef, factorId?: string) => ({
  '#h': ref.stateTokenHash,
  '#status': 'status',
  ...(factorId === undefined ? {} : { '#f': factorId }),
});

const key = (ref: TransactionRef) => keys.user(ref.clientId, ref.userRef);

const view = (ref: TransactionRef, user: UserFactors | undefined): TransactionView | undefined => {
  const txn = user?.txns?.[ref.stateTokenHash];
  return user && txn ? { txn, user } : undefined;
};

/**
 * Transactions live in their user's item (`txns`), so every step, with the factor counters it
 * touches, is one conditional update: caps and single use hold under concurrency.
 */
export const dynamoTransactionStore = (table: TableOps): TransactionStore => ({
  create: async (ref, record, { prune, maxTransactions }) => {
    const pruneNames = Object.fromEntries(prune.map((hash, i) => [`#p${i}`, hash]));
    const pruned = Object.keys(pruneNames).map((name) => `txns.${name}`);
    const created = await table.update(key(ref), {
      update: `SET ${T} = :txn${pruned.length ? ` REMOVE ${pruned.join(', ')}` : ''}`,
      // Every pruned entry must still be there, so the count is exact: at most
      // `maxTransactions` remain whatever runs concurrently.
      condition: [
        'attribute_exists(txns)',
        `attribute_not_exists(${T})`,
        'size(txns) < :limit',
        ...pruned.map((path) => `attribute_exists(${path})`),
      ].join(' AND '),
      names: { '#h': ref.stateTokenHash, ...pruneNames },
      values: { ':txn': record, ':limit': maxTransactions + prune.length },
    });
    return created !== undefined;
  },

  prepare: async (ref) => {
    await table.update(key(ref), {
      update: 'SET txns = if_not_exists(txns, :empty)',
      condition: 'attribute_exists(pk)',
      values: { ':empty': {} },
    });
  },

  get: async (ref) => view(ref, await table.get<UserFactors>(key(ref))),

  beginChallenge: async (ref, a) =>
    view(
      ref,
      await table.update<UserFactors>(key(ref), {
        update: `SET ${T}.#status = :challenge, ${T}.challengeFactorId = :fid, ${T}.codeMac = :mac, ${T}.codeExpiresAt = :exp, ${T}.lastSentAt = :now, ${T}.sends = if_not_exists(${T}.sends, :zero) + :one`,
        condition: `${T}.expiresAtEpoch > :now AND ${IS_LIVE} AND attribute_exists(${T}.factors.#f) AND ${FACTOR_USABLE} AND (attribute_not_exists(${T}.sends) OR ${T}.sends < :maxSends) AND (attribute_not_exists(${T}.lastSentAt) OR ${T}.lastSentAt <= :edge)`,
        names: names(ref, a.factorId),
        values: {
          ...LIVE,
          ':active': 'ACTIVE',
          ':fid': a.factorId,
          ':mac': a.codeMac,
          ':exp': a.codeExpiresAt,
          ':now': a.nowSeconds,
          ':zero': 0,
          ':one': 1,
          ':maxSends': a.maxSends,
          ':edge': a.nowSeconds - a.cooldownSeconds,
        },
        returnOld: true,
      }),
    ),

  undoChallenge: async (ref, codeMac, before) => {
    // Put back the code (and cooldown) the user had before this send, if any.
    const set = [`${T}.sends = ${T}.sends - :one`, `${T}.#status = :prevStatus`];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':one': 1,
      ':mac': codeMac,
      ':prevStatus': before.status,
    };
    if (before.codeMac) {
      set.push(
        `${T}.codeMac = :prevMac`,
        `${T}.codeExpiresAt = :prevExp`,
        `${T}.challengeFactorId = :prevFactor`,
      );
      Object.assign(values, {
        ':prevMac': before.codeMac,
        ':prevExp': before.codeExpiresAt,
        ':prevFactor': before.challengeFactorId,
      });
    } else {
      remove.push(`${T}.codeMac`, `${T}.codeExpiresAt`);
    }
    if (before.lastSentAt === undefined) remove.push(`${T}.lastSentAt`);
    else {
      set.push(`${T}.lastSentAt = :prevSent`);
      values[':prevSent'] = before.lastSentAt;
    }
    await table.update(key(ref), {
      update: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
      condition: `${T}.codeMac = :mac`,
      names: names(ref),
      values,
    });
  },

  reserveAttempt: async (ref, a) => {
    const failure = a.lock
      ? `${F}.failures = :zero, ${F}.lockedUntil = :until, ${F}.lockOwner = :owner, ${F}.lockCount = :locks, ${F}.lockCountUntil = :forget`
      : `${F}.failures = if_not_exists(${F}.failures, :zero) + :one`;
    // The lock's length was computed from the lock count as read: it must not have moved.
    const seenLocks = !a.lock
      ? ''
      : a.lock.seenCount === undefined
        ? ` AND attribute_not_exists(${F}.lockCount)`
        : ` AND ${F}.lockCount = :seenLocks`;
    // At (or, after the threshold was lowered, above) the last allowed failure, only the
    // locking variant reserves: a factor is never stuck between usable and locked.
    const underThreshold = a.lock
      ? `${F}.failures >= :last`
      : `(attribute_not_exists(${F}.failures) OR ${F}.failures < :last)`;
    return view(
      ref,
      await table.update<UserFactors>(key(ref), {
        update: `SET ${T}.attempts = if_not_exists(${T}.attempts, :zero) + :one, ${failure}`,
        condition: `${T}.expiresAtEpoch > :now AND attribute_exists(${T}.factors.#f) AND (attribute_not_exists(${T}.attempts) OR ${T}.attempts < :max) AND ${
          a.challenge
            ? `${T}.#status = :challenge AND ${T}.challengeFactorId = :fid AND ${T}.codeExpiresAt > :now AND attribute_exists(${T}.codeMac)`
            : IS_LIVE
        } AND ${FACTOR_USABLE} AND ${underThreshold}${seenLocks}`,
        names: names(ref, a.factorId),
        values: {
          ...(a.challenge ? { ':challenge': LIVE[':challenge'], ':fid': a.factorId } : LIVE),
          ':active': 'ACTIVE',
          ':zero': 0,
          ':one': 1,
          ':now': a.nowSeconds,
          ':max': a.maxAttempts,
          ':last': a.threshold - 1,
          ...(a.lock
            ? {
                ':until': a.lock.until,
                ':owner': a.lock.owner,
                ':locks': a.lock.count,
                ':forget': a.lock.until + DAY_SECONDS,
                ...(a.lock.seenCount === undefined ? {} : { ':seenLocks': a.lock.seenCount }),
              }
            : {}),
        },
      }),
    );
  },

  complete: async (ref, a) => {
    const byCode = a.codeMac !== undefined;
    const byStep = a.step !== undefined;
    const done = await table.update(key(ref), {
      update: `SET ${T}.#status = :success, ${T}.verifiedFactorId = :fid, ${T}.authTime = :now, ${F}.failures = :zero${
        byStep ? `, ${F}.lastStep = :step` : ''
      }${
        // This request's own lock is lifted as if it never was: it does not count.
        a.lifting ? `, ${F}.lockCount = ${F}.lockCount - :one` : ''
      } REMOVE ${T}.codeMac, ${F}.lockedUntil, ${F}.lockOwner`,
      condition: `${T}.expiresAtEpoch > :now AND ${IS_LIVE} AND ${F}.#status = :active AND ${
        a.lifting
          ? `${F}.lockOwner = :owner`
          : `(attribute_not_exists(${F}.lockedUntil) OR ${F}.lockedUntil <= :now OR ${F}.lockOwner = :owner)`
      }${
        byCode ? ` AND ${T}.codeMac = :mac` : ''
      }${byStep ? ` AND (attribute_not_exists(${F}.lastStep) OR ${F}.lastStep < :step)` : ''}`,
      names: names(ref, a.factorId),
      values: {
        ...LIVE,
        ':success': 'SUCCESS',
        ':active': 'ACTIVE',
        ':fid': a.factorId,
        ':now': a.nowSeconds,
        ':owner': a.owner,
        ':zero': 0,
        ...(a.lifting ? { ':one': 1 } : {}),
        ...(byCode ? { ':mac': a.codeMac } : {}),
        ...(byStep ? { ':step': a.step } : {}),
      },
    });
    return done !== undefined;
  },

  endTransaction: async (ref) => {
    await table.update(key(ref), {
      update: `SET ${T}.#status = :locked`,
      condition: IS_LIVE,
      names: names(ref),
      values: { ...LIVE, ':locked': 'LOCKED_OUT' },
    });
  },

  cancel: async (ref, nowSeconds) =>
    view(
      ref,
      await table.update<UserFactors>(key(ref), {
        update: `SET ${T}.#status = :cancelled REMOVE ${T}.codeMac`,
        condition: `${T}.expiresAtEpoch > :now AND ${IS_LIVE}`,
        names: names(ref),
        values: { ...LIVE, ':cancelled': 'CANCELLED', ':now': nowSeconds },
      }),
    ),
});
