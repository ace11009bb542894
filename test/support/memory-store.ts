import type { ClientRecord } from '../../shared/domain/entities.js';
import type { ClientStore } from '../../shared/ports/store.js';

/** A test adapter of the client store for unit tests (integration tests use DynamoDB). */
export const memoryStore = () => {
  const clients = new Map<string, ClientRecord>();
  const reads = { client: 0 };
  const store: ClientStore = {
    get: async (id) => {
      reads.client += 1;
      return clients.get(id);
    },
    put: async (client) => {
      clients.set(client.clientId, client);
    },
  };
  return { store, clients, reads };
};
