import { conditionalDone } from '../../shared/adapters/aws/dynamo-table.js';
import type { StepUpGuard, UserFactors } from '../../shared/domain/entities.js';
import type { FactorStore, RateLimiter } from '../../shared/ports/store.js';
import { type ItemKey, keys } from '../../shared/table.js';
import { memoryAuditStore, memoryPolicyStateStore } from './memory-policy-state.js';
import {
  add,
  at,
  cmp,
  type Doc,
  exists,
  type ItemTable,
  ifNotExists,
  itemId,
  itemTable,
  remove,
  set,
} from './memory-table.js';
import { memoryTransactionStore } from './memory-transactions.js';

/**
 * In-memory adapters of the store ports for use-case unit tests (`memoryStores()`): the items,
 * conditions, updates and return shapes of the DynamoDB adapters
 * (`shared/adapters/aws/dynamo-factors.ts`, `dynamo-transactions.ts` (memory-transactions.ts),
 * `dynamo-rates.ts`), so a use case meets here what it meets on the table;
 * `test/integration/store-contract*.test.ts` runs the same scenarios on both. Each condition
 * is a predicate commented with the expression it mirrors.
 */
const ACTIVE = 'ACTIVE';
const PENDING = 'PENDING_ACTIVATION';

/** The step-up guard of a factor write (`guardParts` in dynamo-factors.ts). */
const guardOf = (guard: StepUpGuard | undefined) => {
  if (!guard) return { holds: (_item: Doc) => true, apply: (_next: Doc) => {} };
  if (guard.kind === 'no_active_factor') {
    // `activeCount = :noneActive`
    return { holds: (item: Doc) => cmp(item.activeCount, '=', 0), apply: (_next: Doc) => {} };
  }
  const prune = guard.prune.filter((jti) => jti !== guard.jti);
  return {
    // `(attribute_not_exists(stepUps.#jti) OR stepUps.#jti.factorId = :useFactor)`
    holds: (item: Doc) =>
      !exists(at(item, 'stepUps', guard.jti)) ||
      cmp(at(item, 'stepUps', guard.jti, 'factorId'), '=', guard.use.factorId),
    // `SET stepUps.#jti = :use REMOVE stepUps.#spent0, ...`
    apply: (next: Doc) => {
      set(next, ['stepUps', guard.jti], guard.use);
      for (const jti of prune) remove(next, ['stepUps', jti]);
    },
  };
};

const memoryFactorStore = (table: ItemTable, log: string[]): FactorStore => {
  const done = conditionalDone;
  const F = (factorId: string) => ['factors', factorId];
  const write = (clientId: string, userId: string, spec: Parameters<typeof table.write>[1]) =>
    table.write<UserFactors>(keys.userFactors(clientId, userId), spec);
  return {
    getUser: async (clientId, userId) => {
      log.push('factors.getUser');
      return table.get<UserFactors>(keys.userFactors(clientId, userId));
    },
    prepareGuards: async (clientId, userId, activeCount) => {
      log.push('factors.prepareGuards');
      write(clientId, userId, {
        when: (item) => exists(item.pk), // attribute_exists(pk)
        update: (next, old) => {
          set(next, ['activeCount'], ifNotExists(old, ['activeCount'], activeCount));
          set(next, ['stepUps'], ifNotExists(old, ['stepUps'], {}));
        },
      });
    },
    add: async (clientId, userId, factor, { maxFactors, activeCount, guard, audit }) => {
      log.push('factors.add');
      // The unconditional first write: the parent maps and counters, once.
      write(clientId, userId, {
        update: (next, old) => {
          for (const map of ['factors', 'byDestination', 'txns', 'stepUps'])
            set(next, [map], ifNotExists(old, [map], {}));
          set(next, ['factorCount'], ifNotExists(old, ['factorCount'], 0));
          set(next, ['activeCount'], ifNotExists(old, ['activeCount'], activeCount));
          set(next, ['clientId'], clientId);
          set(next, ['userId'], userId);
        },
      });
      const hash = factor.destinationHash;
      const g = guardOf(guard);
      return done(
        write(clientId, userId, {
          // `factorCount < :max` AND `attribute_not_exists(byDestination.#hash)`
          when: (item) =>
            cmp(item.factorCount, '<', maxFactors) &&
            (!hash || !exists(at(item, 'byDestination', hash))) &&
            g.holds(item),
          update: (next) => {
            set(next, F(factor.factorId), factor);
            if (hash) set(next, ['byDestination', hash], factor.factorId);
            add(next, ['factorCount'], 1);
            if (factor.status === 'ACTIVE') add(next, ['activeCount'], 1);
            g.apply(next);
          },
          audit,
        }),
      );
    },
    renewActivation: async (clientId, userId, factorId, activation, { sentBefore, guard }) => {
      log.push('factors.renewActivation');
      const g = guardOf(guard);
      const sent = [...F(factorId), 'activation', 'lastSentAt'];
      return done(
        write(clientId, userId, {
          // `${F}.#status = :pending` AND `(attribute_not_exists(${F}.activation.lastSentAt) OR ... <= :before)`
          when: (item) =>
            cmp(at(item, ...F(factorId), 'status'), '=', PENDING) &&
            (!exists(at(item, ...sent)) || cmp(at(item, ...sent), '<=', sentBefore)) &&
            g.holds(item),
          update: (next) => {
            set(next, [...F(factorId), 'activation'], activation);
            g.apply(next);
          },
        }),
      );
    },
    reserveActivationAttempt: async (clientId, userId, factorId, { nowSeconds, maxAttempts }) => {
      log.push('factors.reserveActivationAttempt');
      const activation = [...F(factorId), 'activation'];
      const user = write(clientId, userId, {
        when: (item) =>
          cmp(at(item, ...F(factorId), 'status'), '=', PENDING) && // `${F}.#status = :pending`
          cmp(at(item, ...activation, 'expiresAt'), '>', nowSeconds) && // `${F}.activation.expiresAt > :now`
          cmp(at(item, ...activation, 'attempts'), '<', maxAttempts), // `${F}.activation.attempts < :max`
        update: (next) => add(next, [...activation, 'attempts'], 1),
      });
      if (!user.ok) return { ok: false, seen: user.item };
      return {
        ok: true,
        value: user.item.factors[factorId]?.activation?.attempts ?? 0,
        recorded: [],
      };
    },
    activate: async (clientId, userId, factorId, proof, { nowSeconds, guard, audit }) => {
      log.push('factors.activate');
      const g = guardOf(guard);
      const byCode = 'codeMac' in proof;
      return done(
        write(clientId, userId, {
          // The attempt was reserved (and counted) before the comparison.
          when: (item) =>
            cmp(at(item, ...F(factorId), 'status'), '=', PENDING) && // `${F}.#status = :pending`
            cmp(at(item, ...F(factorId), 'activation', 'expiresAt'), '>', nowSeconds) &&
            (!byCode ||
              cmp(at(item, ...F(factorId), 'activation', 'codeMac'), '=', proof.codeMac)) &&
            g.holds(item),
          update: (next) => {
            set(next, [...F(factorId), 'status'], ACTIVE);
            set(next, [...F(factorId), 'activatedAt'], nowSeconds);
            if (!byCode) set(next, [...F(factorId), 'lastStep'], proof.step);
            if ('registered' in proof && proof.registered) {
              set(next, [...F(factorId), 'sealedSecret'], proof.registered.sealedSecret);
              set(next, [...F(factorId), 'signCount'], proof.registered.signCount);
              set(next, [...F(factorId), 'backupState'], proof.registered.backupState);
              set(next, [...F(factorId), 'userVerified'], proof.registered.userVerified);
            }
            remove(next, [...F(factorId), 'activation']);
            add(next, ['activeCount'], 1);
            g.apply(next);
          },
          audit,
        }),
      );
    },
    remove: async (clientId, userId, factor, { guard, audit }) => {
      log.push('factors.remove');
      const g = guardOf(guard);
      const hash = factor.destinationHash;
      return done(
        write(clientId, userId, {
          // The status it was read with: `${F}.#status = :seen`
          when: (item) =>
            cmp(at(item, ...F(factor.factorId), 'status'), '=', factor.status) && g.holds(item),
          update: (next) => {
            remove(next, F(factor.factorId));
            if (hash) remove(next, ['byDestination', hash]);
            add(next, ['factorCount'], -1);
            if (factor.status === ACTIVE) add(next, ['activeCount'], -1);
            g.apply(next);
          },
          audit,
        }),
      );
    },
  };
};

/** `dynamoRateLimiter`: one item per key and window, `ADD` under a `count < limit` condition. */
const memoryRateLimiter = (table: ItemTable, log: string[]): RateLimiter => {
  const windowOf = (windowSeconds: number, nowSeconds: number) =>
    Math.floor(nowSeconds / windowSeconds) * windowSeconds;
  return {
    consume: async (key, limit, windowSeconds, nowSeconds) => {
      log.push('rates.consume');
      const window = windowOf(windowSeconds, nowSeconds);
      return table.write(keys.rate(key, window), {
        // `attribute_not_exists(#count) OR #count < :limit`
        when: (item) => !exists(item.count) || cmp(item.count, '<', limit),
        update: (next) => {
          add(next, ['count'], 1);
          set(next, ['ttl'], window + 2 * windowSeconds);
        },
      }).ok;
    },
    release: async (key, windowSeconds, nowSeconds) => {
      log.push('rates.release');
      table.write(keys.rate(key, windowOf(windowSeconds, nowSeconds)), {
        when: (item) => cmp(item.count, '>', 0), // `#count > :zero`
        update: (next) => add(next, ['count'], -1),
      });
    },
  };
};

/**
 * The in-memory stores: `users` holds one item per user (`USER#<clientId>#<userRef>`, the
 * factors and transactions), `counters` the rate items, both keyed by `itemId(key)` of
 * `shared/table.ts` `keys`, as stored (with `pk`/`sk`). `calls` lists every store call in
 * order (`factors.getUser`, `transactions.reserveAttempt`, ...): a test can tell that a
 * refusal was explained without a read.
 */
export const memoryStores = () => {
  const users = new Map<string, Doc>();
  const counters = new Map<string, Doc>();
  const calls: string[] = [];
  const userTable = itemTable(users);
  const rateTable = itemTable(counters);
  return {
    factors: memoryFactorStore(userTable, calls),
    transactions: memoryTransactionStore(userTable, calls),
    policyStates: memoryPolicyStateStore(userTable, calls),
    audits: memoryAuditStore(userTable, calls),
    rates: memoryRateLimiter(rateTable, calls),
    users,
    counters,
    calls,
    /** The user item as stored, without `pk`/`sk` (undefined: none). */
    user: (clientId: string, userId: string) =>
      userTable.get<UserFactors & Doc>(keys.userFactors(clientId, userId)),
    /** Any item as stored, without `pk`/`sk`. */
    item: (key: ItemKey): Doc | undefined =>
      (key.pk.startsWith('RATE#') ? rateTable : userTable).get<Doc>(key),
  };
};

export type MemoryStores = ReturnType<typeof memoryStores>;
export { itemId };
