import type { ClientRecord } from '../../domain/entities.js';
import { type Policy, PolicyError, parsePolicy } from '../../domain/policy/index.js';
import type { ClientStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import type { TableOps } from './dynamo-table.js';

/**
 * The client item as stored: the policy is one JSON string attribute, not a DynamoDB map. It
 * is written and read only as a whole (never updated in part, never queried by member), so the
 * text keeps exactly what `parsePolicy` accepted: no number or empty-value conversions, no
 * marshalling options, no 32-level map nesting limit, and `policy get` prints what was set.
 */
export type StoredClient = Omit<ClientRecord, 'policy'> & { readonly policy?: string };

/** The stored form of a policy (validated first: nothing unchecked reaches the table). */
export const policyAttribute = (policy: Policy): string => JSON.stringify(parsePolicy(policy));

/**
 * A stored policy, its `version` and rules checked again: a record written by a newer
 * release, or edited by hand, fails loudly (a 500 and a log line) instead of being read as
 * "no policy", which would drop its deny rules. Not a `PolicyError`: the caller did nothing
 * wrong, so it must not become a 400.
 */
export const policyOfAttribute = (clientId: string, text: string): Policy => {
  try {
    return parsePolicy(text);
  } catch (error) {
    const reason = error instanceof PolicyError ? error.message : String(error);
    throw new Error(`the stored policy of client ${clientId} is invalid: ${reason}`, {
      cause: error,
    });
  }
};

export const clientOfItem = ({ policy, ...client }: StoredClient): ClientRecord =>
  policy === undefined ? client : { ...client, policy: policyOfAttribute(client.clientId, policy) };

export const itemOfClient = ({ policy, ...client }: ClientRecord): StoredClient =>
  policy === undefined ? client : { ...client, policy: policyAttribute(policy) };

export const dynamoClientStore = (table: TableOps): ClientStore => ({
  get: async (clientId) => {
    const item = await table.get<StoredClient>(keys.client(clientId));
    return item && clientOfItem(item);
  },
  put: async (client) => {
    await table.put(keys.client(client.clientId), itemOfClient(client));
  },
});
