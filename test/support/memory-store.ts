import type {
  ClientRecord,
  FactorRecord,
  Store,
  TransactionRecord,
} from '../../shared/ports/store.js';

/** A test adapter of the store port for unit tests (integration tests use DynamoDB). */
export const memoryStore = () => {
  const clients = new Map<string, ClientRecord>();
  const factors: FactorRecord[] = [];
  const transactions = new Map<string, TransactionRecord>();
  const reads = { client: 0 };
  const store: Store = {
    getClient: async (id) => {
      reads.client += 1;
      return clients.get(id);
    },
    putClient: async (client) => {
      clients.set(client.clientId, client);
    },
    listFactors: async (clientId, userId) =>
      factors.filter((f) => f.clientId === clientId && f.userId === userId),
    createTransaction: async (record) => {
      if (transactions.has(record.stateTokenHash)) throw new Error('exists');
      transactions.set(record.stateTokenHash, record);
    },
    getTransaction: async (hash) => transactions.get(hash),
  };
  return { store, clients, factors, transactions, reads };
};
