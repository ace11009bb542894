import { conditionalDone, conditionalView } from '../../shared/adapters/aws/dynamo-table.js';
import type { TransactionRef, UserFactors } from '../../shared/domain/entities.js';
import { transactionIdOf } from '../../shared/domain/state-token.js';
import { DAY_SECONDS } from '../../shared/domain/time.js';
import { transactionView } from '../../shared/domain/transaction.js';
import type { AuditWrite, TransactionStore } from '../../shared/ports/store.js';
import { keys } from '../../shared/table.js';
import { type Fragment, INLINE, type Scope, type Values, WHEN } from './memory-conditions.js';
import { revAsRead, writePolicyState } from './memory-policy-state.js';
import {
  at,
  type Doc,
  exists,
  given,
  type ItemTable,
  ifNotExists,
  operand,
  remove,
  set,
} from './memory-table.js';

/**
 * The in-memory `TransactionStore` (`memoryStores()` in memory-user-store.ts): the conditions
 * of shared/adapters/aws/dynamo-transactions.ts (memory-conditions.ts, named as its `WHEN`
 * fragments), its updates, and its return shapes (ALL_OLD for `beginChallenge`, ALL_NEW otherwise; a
 * refusal carries the item its condition saw).
 */
/** `${T}.steps = :stepsBefore` (or `attribute_not_exists(${T}.steps)` when none was read). */
const stepsAsRead =
  (before: number): Fragment =>
  (scope) => {
    const stored = (scope.T as { steps?: number } | undefined)?.steps;
    return before === 0 ? stored === undefined : stored === before;
  };

export const memoryTransactionStore = (table: ItemTable, log: string[]): TransactionStore => {
  const key = (ref: TransactionRef) => keys.user(ref.clientId, ref.userRef);
  const T = (ref: TransactionRef) => ['txns', ref.stateTokenHash];
  const F = (factorId: string) => ['factors', factorId];
  /** A write whose condition is fragments over `T` and `F`. */
  const write = (
    ref: TransactionRef,
    factorId: string | undefined,
    v: Values,
    fragments: readonly Fragment[],
    update: (next: Doc, old: Doc) => void,
    returnOld = false,
    audit?: AuditWrite,
  ) =>
    table.write<UserFactors>(key(ref), {
      ...(audit ? { audit } : {}),
      when: (item) => {
        const scope = {
          item,
          T: at(item, ...T(ref)),
          F: factorId === undefined ? undefined : at(item, ...F(factorId)),
          v,
        };
        return fragments.every((holds) => holds(scope));
      },
      update,
      returnOld,
    });

  return {
    create: async (ref, record, { prune, maxTransactions, audit }) => {
      log.push('transactions.create');
      return conditionalDone(
        table.write<UserFactors>(key(ref), {
          // `attribute_exists(txns)`, `attribute_not_exists(${T})`, `size(txns) < :limit`, and
          // `attribute_exists(txns.#pN)` for every pruned entry.
          when: (item) =>
            exists(item.txns) &&
            !exists(at(item, ...T(ref))) &&
            Object.keys(item.txns as Doc).length < maxTransactions + prune.length &&
            prune.every((hash) => exists(at(item, 'txns', hash))),
          update: (next) => {
            set(next, T(ref), record);
            for (const hash of prune) remove(next, ['txns', hash]);
          },
          audit,
        }),
      );
    },

    prepare: async (ref) => {
      log.push('transactions.prepare');
      table.write(key(ref), {
        when: (item) => exists(item.pk), // attribute_exists(pk)
        update: (next, old) => set(next, ['txns'], ifNotExists(old, ['txns'], {})),
      });
    },

    get: async (ref) => {
      log.push('transactions.get');
      return transactionView(ref, table.get<UserFactors>(key(ref)));
    },

    beginChallenge: async (ref, a) => {
      log.push('transactions.beginChallenge');
      const t = T(ref);
      const v = {
        fid: a.factorId,
        now: a.nowSeconds,
        maxSends: a.maxSends,
        edge: a.nowSeconds - a.cooldownSeconds,
        tid: transactionIdOf(ref.stateTokenHash),
      };
      const { named, unexpired, open, inTransaction, usable, underSendCap, pastCooldown } = WHEN;
      return conditionalView(
        ref,
        write(
          ref,
          a.factorId,
          v,
          [
            named,
            unexpired,
            open,
            inTransaction,
            WHEN.helps,
            usable,
            ...(a.nonce ? [WHEN.underNonceCap] : [underSendCap, pastCooldown]),
          ],
          (next, old) => {
            set(next, [...t, 'status'], 'MFA_CHALLENGE');
            set(next, [...t, 'challengeFactorId'], a.factorId);
            set(next, [...t, 'codeMac'], a.codeMac);
            set(next, [...t, 'codeExpiresAt'], a.codeExpiresAt);
            if (a.nonce) {
              set(next, [...t, 'nonces'], (ifNotExists(old, [...t, 'nonces'], 0) as number) + 1);
            } else {
              set(next, [...t, 'lastSentAt'], a.nowSeconds);
              set(next, [...t, 'sends'], (ifNotExists(old, [...t, 'sends'], 0) as number) + 1);
            }
          },
          true,
          a.audit,
        ),
      );
    },

    undoChallenge: async (ref, codeMac, before, audit) => {
      log.push('transactions.undoChallenge');
      const t = T(ref);
      const undone = write(
        ref,
        undefined,
        { mac: codeMac },
        [WHEN.sameCode],
        (next, old) => {
          set(next, [...t, 'sends'], operand(old, [...t, 'sends']) - 1);
          set(next, [...t, 'status'], given(before.status));
          if (before.codeMac) {
            set(next, [...t, 'codeMac'], before.codeMac);
            set(next, [...t, 'codeExpiresAt'], given(before.codeExpiresAt));
            set(next, [...t, 'challengeFactorId'], given(before.challengeFactorId));
          } else {
            remove(next, [...t, 'codeMac']);
            remove(next, [...t, 'codeExpiresAt']);
          }
          if (before.lastSentAt === undefined) remove(next, [...t, 'lastSentAt']);
          else set(next, [...t, 'lastSentAt'], before.lastSentAt);
        },
        false,
        audit,
      );
      return undone.ok ? undone.recorded : undefined;
    },

    reserveAttempt: async (ref, a) => {
      log.push('transactions.reserveAttempt');
      const [t, f] = [T(ref), F(a.factorId)];
      const { lock } = a;
      const seenLocks = !lock
        ? []
        : lock.seenCount === undefined
          ? [INLINE.lockCountUnset]
          : [INLINE.lockCountSeen(lock.seenCount)];
      const v = {
        fid: a.factorId,
        now: a.nowSeconds,
        max: a.maxAttempts,
        last: a.threshold - 1,
      };
      return conditionalView(
        ref,
        write(
          ref,
          a.factorId,
          v,
          [
            WHEN.unexpired,
            WHEN.inTransaction,
            WHEN.helps,
            WHEN.underAttempts,
            a.challenge ? WHEN.liveCode : WHEN.open,
            WHEN.usable,
            lock ? WHEN.atLastFailure : WHEN.belowLastFailure,
            ...seenLocks,
          ],
          (next, old) => {
            set(next, [...t, 'attempts'], (ifNotExists(old, [...t, 'attempts'], 0) as number) + 1);
            if (lock) {
              set(next, [...f, 'failures'], 0);
              set(next, [...f, 'lockedUntil'], lock.until);
              set(next, [...f, 'lockOwner'], lock.owner);
              set(next, [...f, 'lockCount'], lock.count);
              set(next, [...f, 'lockCountUntil'], lock.until + DAY_SECONDS);
            } else {
              set(
                next,
                [...f, 'failures'],
                (ifNotExists(old, [...f, 'failures'], 0) as number) + 1,
              );
            }
          },
        ),
      );
    },

    complete: async (ref, a) => {
      log.push('transactions.complete');
      const policy = a.policyState;
      const [t, f] = [T(ref), F(a.factorId)];
      const v = {
        fid: a.factorId,
        now: a.nowSeconds,
        owner: a.owner,
        mac: a.codeMac,
        step: a.step,
        code: a.spentCode,
        count: a.signed?.signCount,
      };
      return conditionalDone(
        write(
          ref,
          a.factorId,
          v,
          [
            WHEN.unexpired,
            WHEN.open,
            INLINE.factorActive,
            a.lifting ? INLINE.ownLock : WHEN.unlockedOrOwn,
            ...(a.codeMac !== undefined ? [WHEN.sameCode] : []),
            ...(a.step !== undefined ? [WHEN.newStep] : []),
            ...(a.spentCode !== undefined ? [WHEN.unspentCode] : []),
            ...(a.signed ? [a.signed.signCount > 0 ? WHEN.newerCount : WHEN.zeroCount] : []),
            ...(a.partial ? [stepsAsRead(a.partial.stepsBefore)] : []),
            ...(policy ? [({ item }: Scope) => revAsRead(item, policy)] : []),
          ],
          (next, old) => {
            if (a.partial) {
              set(next, [...t, 'status'], 'MFA_REQUIRED');
              set(next, [...t, 'proven'], [...a.partial.proven]);
              set(next, [...t, 'amr'], [...a.partial.amr]);
              set(next, [...t, 'steps'], a.partial.stepsBefore + 1);
              set(next, [...t, 'verifiedFactors'], [...a.partial.verified]);
              set(next, [...t, 'helping'], [...a.partial.helping]);
              remove(next, [...t, 'challengeFactorId']);
              remove(next, [...t, 'codeExpiresAt']);
            } else {
              set(next, [...t, 'status'], 'SUCCESS');
              set(next, [...t, 'verifiedFactorId'], a.factorId);
              set(next, [...t, 'authTime'], a.nowSeconds);
            }
            set(next, [...f, 'failures'], 0);
            if (a.step !== undefined) set(next, [...f, 'lastStep'], a.step);
            if (a.signed) {
              set(next, [...f, 'signCount'], a.signed.signCount);
              set(next, [...f, 'backupState'], a.signed.backupState);
              if (a.signed.userVerified) set(next, [...f, 'userVerified'], true);
            }
            // This request's own lock is lifted as if it never was: it does not count.
            if (a.lifting) set(next, [...f, 'lockCount'], operand(old, [...f, 'lockCount']) - 1);
            if (a.policyState) writePolicyState(next, a.policyState);
            remove(next, [...t, 'codeMac']);
            remove(next, [...f, 'lockedUntil']);
            remove(next, [...f, 'lockOwner']);
            if (a.spentCode !== undefined) remove(next, [...f, 'recoveryCodes', a.spentCode]);
          },
          false,
          a.audit,
        ),
      );
    },

    endTransaction: async (ref, audit) => {
      log.push('transactions.endTransaction');
      const ended = write(
        ref,
        undefined,
        {},
        [WHEN.open],
        (next) => set(next, [...T(ref), 'status'], 'LOCKED_OUT'),
        false,
        audit,
      );
      return ended.ok ? ended.recorded : [];
    },

    cancel: async (ref, nowSeconds, audit) => {
      log.push('transactions.cancel');
      return conditionalView(
        ref,
        write(
          ref,
          undefined,
          { now: nowSeconds, tid: transactionIdOf(ref.stateTokenHash) },
          [WHEN.named, WHEN.unexpired, WHEN.open],
          (next) => {
            set(next, [...T(ref), 'status'], 'CANCELLED');
            remove(next, [...T(ref), 'codeMac']);
          },
          false,
          audit,
        ),
      );
    },
  };
};
