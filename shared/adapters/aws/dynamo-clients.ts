import type { ClientRecord } from '../../domain/entities.js';
import type { ClientStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import type { TableOps } from './dynamo-table.js';

export const dynamoClientStore = (table: TableOps): ClientStore => ({
  get: (clientId) => table.get<ClientRecord>(keys.client(clientId)),
  put: async (client) => {
    await table.put(keys.client(client.clientId), client);
  },
});
