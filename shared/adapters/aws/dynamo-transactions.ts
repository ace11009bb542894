import type { TransactionRef, UserFactors } from '../../domain/entities.js';
import { transactionIdOf } from '../../domain/state-token.js';
import { DAY_SECONDS } from '../../domain/time.js';
import { transactionView } from '../../domain/transaction.js';
import type { TransactionStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import { policyStateParts } from './dynamo-policy-state.js';
import { conditionalDone, conditionalView, type TableOps } from './dynamo-table.js';

/** Paths inside the user item: `T` the transaction, `F` the factor (`#h`, `#f` are set below). */
const T = 'txns.#h';
const F = 'factors.#f';

/**
 * The conditions of the transaction steps, one named fragment per rule. A refused write
 * returns the item its condition saw, and the use case names the rule that failed from that
 * item, in the same order (`transactionRefusal` / `usableFactor` in
 * `shared/use-cases/authn-state.ts`, then each step's own refusal): no second read.
 */
const WHEN = {
  /**
   * The transaction the request's state token names (`transactionIdOf`): what a step that has
   * not read it records in the audit chain.
   */
  named: `${T}.transactionId = :tid`,
  /** The transaction still takes steps (not SUCCESS, CANCELLED or LOCKED_OUT). */
  open: `${T}.#status IN (:required, :challenge)`,
  /** ...and has not expired. */
  unexpired: `${T}.expiresAtEpoch > :now`,
  /** The factor is one the transaction started with. */
  inTransaction: `attribute_exists(${T}.factors.#f)`,
  /** The factor is ACTIVE and not locked. */
  usable: `${F}.#status = :active AND (attribute_not_exists(${F}.lockedUntil) OR ${F}.lockedUntil <= :now)`,
  /** At most `maxSends` codes per transaction. */
  underSendCap: `(attribute_not_exists(${T}.sends) OR ${T}.sends < :maxSends)`,
  /** The resend cooldown has passed. */
  pastCooldown: `(attribute_not_exists(${T}.lastSentAt) OR ${T}.lastSentAt <= :edge)`,
  /** At most `maxAttempts` codes tried per transaction. */
  underAttempts: `(attribute_not_exists(${T}.attempts) OR ${T}.attempts < :max)`,
  /** A live, unexpired code was sent for this factor (kinds that send codes). */
  liveCode: `${T}.#status = :challenge AND ${T}.challengeFactorId = :fid AND ${T}.codeExpiresAt > :now AND attribute_exists(${T}.codeMac)`,
  /** Below the factor's last allowed failure, which only the locking reservation takes. */
  belowLastFailure: `(attribute_not_exists(${F}.failures) OR ${F}.failures < :last)`,
  /** At (or, after the threshold was lowered, above) the last allowed failure. */
  atLastFailure: `${F}.failures >= :last`,
  /** The factor is not locked, or locked by this very request (its right code lifts it). */
  unlockedOrOwn: `(attribute_not_exists(${F}.lockedUntil) OR ${F}.lockedUntil <= :now OR ${F}.lockOwner = :owner)`,
  /** Single use of a sent code: it is still the stored one. */
  sameCode: `${T}.codeMac = :mac`,
  /** Single use of a TOTP step: above the factor's last used one. */
  newStep: `(attribute_not_exists(${F}.lastStep) OR ${F}.lastStep < :step)`,
  /** Single use of a recovery code: it is still among the factor's codes. */
  unspentCode: `attribute_exists(${F}.recoveryCodes.#c)`,
  /** A passkey's sign counter only moves forward (when the authenticator keeps one). */
  newerCount: `(attribute_not_exists(${F}.signCount) OR ${F}.signCount < :count)`,
  /** ...and one that keeps none (0) never follows one that did: 0 only after 0. */
  zeroCount: `(attribute_not_exists(${F}.signCount) OR ${F}.signCount = :zero)`,
  /** The factor still proves a category the transaction needs (factor sequencing). */
  helps: `(attribute_not_exists(${T}.helping) OR contains(${T}.helping, :fid))`,
  /** At most `maxSends` passkey challenges per transaction (counted apart from sent codes). */
  underNonceCap: `(attribute_not_exists(${T}.nonces) OR ${T}.nonces < :maxSends)`,
} as const;
const all = (...fragments: string[]) => fragments.join(' AND ');

const OPEN = { ':required': 'MFA_REQUIRED', ':challenge': 'MFA_CHALLENGE' };

const names = (ref: TransactionRef, factorId?: string) => ({
  '#h': ref.stateTokenHash,
  '#status': 'status',
  ...(factorId === undefined ? {} : { '#f': factorId }),
});

const key = (ref: TransactionRef) => keys.user(ref.clientId, ref.userRef);

/**
 * Transactions live in their user's item (`txns`), so every step, with the factor counters it
 * touches, is one conditional update: caps and single use hold under concurrency.
 */
export const dynamoTransactionStore = (table: TableOps): TransactionStore => ({
  create: async (ref, record, { prune, maxTransactions, audit }) => {
    const pruneNames = Object.fromEntries(prune.map((hash, i) => [`#p${i}`, hash]));
    const pruned = Object.keys(pruneNames).map((name) => `txns.${name}`);
    return conditionalDone(
      await table.write<UserFactors>(key(ref), {
        update: `SET ${T} = :txn${pruned.length ? ` REMOVE ${pruned.join(', ')}` : ''}`,
        // Every pruned entry must still be there, so the count is exact: at most
        // `maxTransactions` remain whatever runs concurrently.
        condition: all(
          'attribute_exists(txns)',
          `attribute_not_exists(${T})`,
          'size(txns) < :limit',
          ...pruned.map((path) => `attribute_exists(${path})`),
        ),
        names: { '#h': ref.stateTokenHash, ...pruneNames },
        values: { ':txn': record, ':limit': maxTransactions + prune.length },
        audit,
      }),
    );
  },

  prepare: async (ref) => {
    await table.update(key(ref), {
      update: 'SET txns = if_not_exists(txns, :empty)',
      condition: 'attribute_exists(pk)',
      values: { ':empty': {} },
    });
  },

  get: async (ref) => transactionView(ref, await table.get<UserFactors>(key(ref))),

  beginChallenge: async (ref, a) =>
    conditionalView(
      ref,
      await table.write<UserFactors>(key(ref), {
        update: `SET ${T}.#status = :challenge, ${T}.challengeFactorId = :fid, ${T}.codeMac = :mac, ${T}.codeExpiresAt = :exp, ${
          a.nonce
            ? // A passkey challenge: nothing sent, so no send counted and no cooldown started.
              `${T}.nonces = if_not_exists(${T}.nonces, :zero) + :one`
            : `${T}.lastSentAt = :now, ${T}.sends = if_not_exists(${T}.sends, :zero) + :one`
        }`,
        condition: all(
          WHEN.named,
          WHEN.unexpired,
          WHEN.open,
          WHEN.inTransaction,
          WHEN.helps,
          WHEN.usable,
          ...(a.nonce ? [WHEN.underNonceCap] : [WHEN.underSendCap, WHEN.pastCooldown]),
        ),
        names: names(ref, a.factorId),
        values: {
          ...OPEN,
          ':active': 'ACTIVE',
          ':fid': a.factorId,
          ':mac': a.codeMac,
          ':exp': a.codeExpiresAt,
          ':now': a.nowSeconds,
          ':zero': 0,
          ':one': 1,
          ':maxSends': a.maxSends,
          ':tid': transactionIdOf(ref.stateTokenHash),
          ...(a.nonce ? {} : { ':edge': a.nowSeconds - a.cooldownSeconds }),
        },
        returnOld: true,
        audit: a.audit,
      }),
    ),

  undoChallenge: async (ref, codeMac, before, audit) => {
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
    const undone = await table.write<UserFactors>(key(ref), {
      update: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
      condition: WHEN.sameCode,
      names: names(ref),
      values,
      audit,
    });
    return undone.ok ? undone.recorded : undefined;
  },

  reserveAttempt: async (ref, a) => {
    const failure = a.lock
      ? `${F}.failures = :zero, ${F}.lockedUntil = :until, ${F}.lockOwner = :owner, ${F}.lockCount = :locks, ${F}.lockCountUntil = :forget`
      : `${F}.failures = if_not_exists(${F}.failures, :zero) + :one`;
    // The lock's length was computed from the lock count as read: it must not have moved.
    const seenLocks = !a.lock
      ? []
      : a.lock.seenCount === undefined
        ? [`attribute_not_exists(${F}.lockCount)`]
        : [`${F}.lockCount = :seenLocks`];
    return conditionalView(
      ref,
      await table.write<UserFactors>(key(ref), {
        update: `SET ${T}.attempts = if_not_exists(${T}.attempts, :zero) + :one, ${failure}`,
        condition: all(
          WHEN.unexpired,
          WHEN.inTransaction,
          WHEN.helps,
          WHEN.underAttempts,
          a.challenge ? WHEN.liveCode : WHEN.open,
          WHEN.usable,
          // A factor is never stuck between usable and locked: its last allowed failure is
          // reserved only together with the lock.
          a.lock ? WHEN.atLastFailure : WHEN.belowLastFailure,
          ...seenLocks,
        ),
        names: names(ref, a.factorId),
        values: {
          ...(a.challenge ? { ':challenge': OPEN[':challenge'] } : OPEN),
          ':fid': a.factorId,
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
    const bySpending = a.spentCode !== undefined;
    const { signed } = a;
    // The user's policy state after this success (RTS counters, devices, series), if it changes.
    const policy = a.policyState ? policyStateParts(a.policyState) : undefined;
    return conditionalDone(
      await table.write<UserFactors>(key(ref), {
        update: `SET ${
          a.partial
            ? // Factor sequencing: open for the next factor, with what is proven so far.
              `${T}.#status = :required, ${T}.proven = :proven, ${T}.amr = :amr, ${T}.steps = :steps, ${T}.verifiedFactors = :verified, ${T}.helping = :helping`
            : `${T}.#status = :success, ${T}.verifiedFactorId = :fid, ${T}.authTime = :now`
        }, ${F}.failures = :zero${byStep ? `, ${F}.lastStep = :step` : ''}${
          signed
            ? `, ${F}.signCount = :count, ${F}.backupState = :bs${signed.userVerified ? `, ${F}.userVerified = :uv` : ''}`
            : ''
        }${policy ? `, ${policy.set}` : ''}${
          // This request's own lock is lifted as if it never was: it does not count.
          a.lifting ? `, ${F}.lockCount = ${F}.lockCount - :one` : ''
        } REMOVE ${T}.codeMac, ${F}.lockedUntil, ${F}.lockOwner${
          bySpending ? `, ${F}.recoveryCodes.#c` : ''
        }${a.partial ? `, ${T}.challengeFactorId, ${T}.codeExpiresAt` : ''}`,
        condition: all(
          WHEN.unexpired,
          WHEN.open,
          `${F}.#status = :active`,
          a.lifting ? `${F}.lockOwner = :owner` : WHEN.unlockedOrOwn,
          ...(byCode ? [WHEN.sameCode] : []),
          ...(byStep ? [WHEN.newStep] : []),
          ...(bySpending ? [WHEN.unspentCode] : []),
          ...(signed ? [signed.signCount > 0 ? WHEN.newerCount : WHEN.zeroCount] : []),
          // Factor sequencing: no other step was recorded since this request read the item.
          ...(a.partial
            ? [
                // A number, not the list of categories: list equality is not what every
                // DynamoDB-compatible store compares alike (dynalite compares by reference).
                a.partial.stepsBefore > 0
                  ? `${T}.steps = :stepsBefore`
                  : `attribute_not_exists(${T}.steps)`,
              ]
            : []),
          ...(policy ? [policy.condition] : []),
        ),
        names: {
          ...names(ref, a.factorId),
          ...(bySpending ? { '#c': a.spentCode as string } : {}),
        },
        values: {
          ...OPEN,
          ...(a.partial
            ? {
                ':proven': a.partial.proven,
                ':amr': a.partial.amr,
                ':steps': a.partial.stepsBefore + 1,
                ':verified': a.partial.verified,
                ':helping': a.partial.helping,
                ...(a.partial.stepsBefore > 0 ? { ':stepsBefore': a.partial.stepsBefore } : {}),
              }
            : { ':success': 'SUCCESS', ':fid': a.factorId }),
          ':active': 'ACTIVE',
          ':now': a.nowSeconds,
          ':owner': a.owner,
          ':zero': 0,
          ...(a.lifting ? { ':one': 1 } : {}),
          ...(byCode ? { ':mac': a.codeMac } : {}),
          ...(byStep ? { ':step': a.step } : {}),
          ...(signed ? { ':count': signed.signCount, ':bs': signed.backupState } : {}),
          ...(signed?.userVerified ? { ':uv': true } : {}),
          ...policy?.values,
        },
        audit: a.audit,
      }),
    );
  },

  endTransaction: async (ref, audit) => {
    const ended = await table.write<UserFactors>(key(ref), {
      update: `SET ${T}.#status = :locked`,
      condition: WHEN.open,
      names: names(ref),
      values: { ...OPEN, ':locked': 'LOCKED_OUT' },
      audit,
    });
    return ended.ok ? ended.recorded : [];
  },

  cancel: async (ref, nowSeconds, audit) =>
    conditionalView(
      ref,
      await table.write<UserFactors>(key(ref), {
        update: `SET ${T}.#status = :cancelled REMOVE ${T}.codeMac`,
        condition: all(WHEN.named, WHEN.unexpired, WHEN.open),
        names: names(ref),
        values: {
          ...OPEN,
          ':cancelled': 'CANCELLED',
          ':now': nowSeconds,
          ':tid': transactionIdOf(ref.stateTokenHash),
        },
        audit,
      }),
    ),
});
