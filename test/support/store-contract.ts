import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { ensureTable, startDynamo } from '../../local/dynamo.js';
import { dynamoFactorStore } from '../../shared/adapters/aws/dynamo-factors.js';
import { dynamoPolicyStateStore } from '../../shared/adapters/aws/dynamo-policy-state.js';
import { dynamoRateLimiter } from '../../shared/adapters/aws/dynamo-rates.js';
import { tableOps } from '../../shared/adapters/aws/dynamo-table.js';
import { dynamoTransactionStore } from '../../shared/adapters/aws/dynamo-transactions.js';
import type {
  Activation,
  StoredFactor,
  TransactionRecord,
  TransactionRef,
} from '../../shared/domain/entities.js';
import { transactionIdOf, userRef } from '../../shared/domain/state-token.js';
import type {
  AuditWrite,
  FactorStore,
  PolicyStateStore,
  RateLimiter,
  TransactionStore,
} from '../../shared/ports/store.js';
import { type ItemKey, keys, tableDefinition } from '../../shared/table.js';
import { memoryStores } from './memory-user-store.js';

/**
 * The store contract: one scenario, run on the DynamoDB adapters (on the embedded dynalite)
 * and on the in-memory adapter, must give the same results and leave the same items.
 */
export interface Stores {
  readonly factors: FactorStore;
  readonly transactions: TransactionStore;
  readonly policyStates: PolicyStateStore;
  readonly rates: RateLimiter;
  /** An item as stored, without `pk`/`sk`. */
  item(key: ItemKey): Promise<Record<string, unknown> | undefined>;
}

export const NOW = 1_800_000_000;
/** A write that records no audit event (the chain has its own scenarios). */
export const NO_AUDIT = { events: [] } as const;
/**
 * A write that records one audit event (the same on both adapters, so the items compare);
 * each event unique by its id, as in the service.
 */
export const audited = (eventId: string): AuditWrite => ({
  events: [
    {
      type: 'mfa.authn.cancelled',
      detail: {
        eventId,
        time: '2027-01-15T08:00:00.000Z',
        requestId: 'r-1',
        clientId: 'app-1',
        userRef: 'u',
      },
    },
  ],
});
export const CLIENT = 'app-1';
const TABLE = 'store-contract';

/** The DynamoDB adapters over a fresh dynalite table. */
export const startDynamoStores = async () => {
  const dynamo = await startDynamo();
  const ddb = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { partitionKey, sortKey } = tableDefinition;
  await ensureTable(ddb, TABLE, {
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
    ],
  });
  const table = tableOps(ddb, TABLE);
  const stores: Stores = {
    factors: dynamoFactorStore(table),
    transactions: dynamoTransactionStore(table),
    policyStates: dynamoPolicyStateStore(table),
    rates: dynamoRateLimiter(table),
    item: (key) => table.get(key),
  };
  const close = async () => {
    ddb.destroy();
    await new Promise((resolve) => dynamo.server.close(resolve));
  };
  return { stores, close };
};

export const memoryContractStores = (): Stores => {
  const memory = memoryStores();
  return { ...memory, item: async (key) => memory.item(key) };
};

/** What one scenario did: each step's result in order, then the items it watched. */
export class Trace {
  readonly results: unknown[] = [];
  private readonly watched: ItemKey[];

  constructor(
    readonly stores: Stores,
    readonly userId: string,
  ) {
    this.watched = [keys.userFactors(CLIENT, userId)];
  }

  /** The transaction `hash` of this scenario's user (or of `userId`). */
  ref(hash: string, userId = this.userId): TransactionRef {
    return { clientId: CLIENT, userRef: userRef(userId), stateTokenHash: hash };
  }

  async step(result: Promise<unknown>) {
    this.results.push(await result);
  }

  /** Records the user item as it is now. */
  async look() {
    await this.step(this.stores.item(keys.userFactors(CLIENT, this.userId)));
  }

  /** Compares this item too at the end. */
  watch(key: ItemKey) {
    this.watched.push(key);
  }

  async end() {
    const items = [];
    for (const key of this.watched) items.push(await this.stores.item(key));
    return { results: this.results, items };
  }
}

/** ok / refused / the plain value: what a scenario's expectations read. */
export const outcome = (result: unknown) => {
  if (result && typeof result === 'object' && 'ok' in result) return result.ok ? 'ok' : 'refused';
  if (Array.isArray(result)) return `recorded:${result.length}`;
  return result === undefined ? '-' : typeof result === 'boolean' ? String(result) : 'item';
};

/**
 * One scenario: run on both adapters (a distinct user per scenario on the shared table), the
 * DynamoDB run must show the `expected` outcomes, and the memory run the same results and
 * items, value for value.
 */
export const contract =
  (dynamo: () => Stores) =>
  (name: string, expected: string, scenario: (t: Trace) => Promise<void>) =>
    it(name, async () => {
      const userId = `user-${name.replace(/\W+/g, '-')}`;
      const runOn = async (stores: Stores) => {
        const trace = new Trace(stores, userId);
        await scenario(trace);
        return trace.end();
      };
      const onDynamo = await runOn(dynamo());
      const onMemory = await runOn(memoryContractStores());
      expect(onDynamo.results.map(outcome).join(' ')).toBe(expected);
      expect(onMemory).toStrictEqual(onDynamo);
    });

/** A factor as stored; `id` doubles as its destination hash for sms/email. */
export const factor = (id: string, over: Partial<StoredFactor> = {}): StoredFactor => ({
  factorId: id,
  type: 'email',
  status: 'ACTIVE',
  createdAt: '2027-01-15T08:00:00.000Z',
  destination: `${id}@example.com`,
  destinationHash: `hash-${id}`,
  failures: 0,
  ...over,
});

export const activation = (over: Partial<Activation> = {}): Activation => ({
  codeMac: 'a1',
  expiresAt: NOW + 300,
  attempts: 0,
  lastSentAt: NOW,
  ...over,
});

/** A transaction on factors `f1` (email) and `f2` (sms) unless told. */
export const record = (hash: string, over: Partial<TransactionRecord> = {}): TransactionRecord => ({
  transactionId: transactionIdOf(hash),
  status: 'MFA_REQUIRED',
  createdAt: '2027-01-15T08:00:00.000Z',
  expiresAt: '2027-01-15T08:05:00.000Z',
  expiresAtEpoch: NOW + 300,
  // Dropped on the way in, as marshall's removeUndefinedValues does.
  transaction: undefined,
  consentId: 'consent-1',
  factors: { f1: 'email', f2: 'sms' },
  pruneAfter: NOW + 600,
  ...over,
});

/** Adds the factors (and the transactions) to the scenario's user, outside its trace. */
export const seed = async (
  t: Trace,
  factors: readonly StoredFactor[],
  txns: readonly string[] = [],
) => {
  for (const f of factors) {
    // add() counts a factor that is ACTIVE from the start (a PIN) itself.
    const added = await t.stores.factors.add(CLIENT, t.userId, f, {
      maxFactors: 10,
      activeCount: 0,
      audit: NO_AUDIT,
    });
    expect(added.ok).toBe(true);
  }
  for (const hash of txns) {
    const created = await t.stores.transactions.create(t.ref(hash), record(hash), {
      prune: [],
      maxTransactions: 20,
      audit: NO_AUDIT,
    });
    expect(created.ok).toBe(true);
  }
};
