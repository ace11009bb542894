import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ClientRecord } from '../../domain/entities.js';
import { type Policy, parsePolicy } from '../../domain/policy/index.js';
import type { ClientStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import {
  dynamoClientStore,
  itemOfClient,
  policyOfAttribute,
  type StoredClient,
} from './dynamo-clients.js';
import { tableOps } from './dynamo-table.js';

/** What an operator may see of an app client: never its salt or hash. */
export interface ClientSummary {
  readonly clientId: string;
  readonly name: string;
}

/** The client an operation names does not exist: the admin's 404 (the CLI's exit code 2). */
export class UnknownClientError extends Error {
  override readonly name = 'UnknownClientError';
  readonly code = 'not_found';

  constructor(readonly clientId: string) {
    super(`no client ${clientId}`);
  }
}

/** App client administration (the admin CLI); the service itself only reads clients. */
export interface ClientAdminStore extends ClientStore {
  /** Adds a client; false when the id is taken (an existing secret is never overwritten). */
  create(client: ClientRecord): Promise<boolean>;
  /** Replaces the salt and hash of an existing client; its summary, or undefined when absent. */
  replaceSecret(
    clientId: string,
    salt: string,
    secretHash: string,
  ): Promise<ClientSummary | undefined>;
  /** Every client, by id. A Scan of the whole table: an operator's tool, not a request path. */
  list(): Promise<ClientSummary[]>;
  /** Deletes a client; false when there was none. */
  delete(clientId: string): Promise<boolean>;
  /**
   * Validates `policy` (a `PolicyError` naming the path of the first problem) and stores it
   * with the client, replacing any; resolves with the policy as stored. Functions that cached
   * the client keep its previous policy up to `CLIENT_CACHE_SECONDS`.
   * @throws UnknownClientError when there is no such client (nothing is written)
   */
  setPolicy(clientId: string, policy: unknown): Promise<Policy>;
  /**
   * The client's own policy; undefined when it has none (the deployment's `DEFAULT_POLICY`
   * applies, else `require: "mfa"`).
   * @throws UnknownClientError when there is no such client
   */
  getPolicy(clientId: string): Promise<Policy | undefined>;
  /**
   * Removes the client's policy (done also when it had none).
   * @throws UnknownClientError when there is no such client
   */
  clearPolicy(clientId: string): Promise<void>;
}

const CLIENT_PREFIX = keys.client('').pk;
/** Policy writes change an existing client only: they never create a client without a secret. */
const EXISTS = 'attribute_exists(pk)';

export const dynamoClientAdmin = (ddb: DynamoDBClient, tableName: string): ClientAdminStore => {
  const table = tableOps(ddb, tableName);
  const store = dynamoClientStore(table);
  return {
    ...store,
    create: (client) =>
      table.put(keys.client(client.clientId), itemOfClient(client), 'attribute_not_exists(pk)'),
    replaceSecret: async (clientId, salt, secretHash) => {
      const updated = await table.update<StoredClient>(keys.client(clientId), {
        update: 'SET salt = :salt, secretHash = :hash',
        condition: 'attribute_exists(pk)',
        values: { ':salt': salt, ':hash': secretHash },
      });
      return updated ? { clientId: updated.clientId, name: updated.name } : undefined;
    },
    list: async () => {
      const clients: ClientSummary[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        // Only the two public attributes leave the table: salt and hash are never read here.
        const page = await ddb.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: 'begins_with(pk, :prefix)',
            ProjectionExpression: 'clientId, #name',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: marshall({ ':prefix': CLIENT_PREFIX }),
            ExclusiveStartKey: startKey ? marshall(startKey) : undefined,
          }),
        );
        for (const item of page.Items ?? []) {
          const { clientId, name } = unmarshall(item) as Partial<ClientSummary>;
          if (typeof clientId === 'string') clients.push({ clientId, name: String(name ?? '') });
        }
        startKey = page.LastEvaluatedKey ? unmarshall(page.LastEvaluatedKey) : undefined;
      } while (startKey);
      return clients.sort((a, b) => a.clientId.localeCompare(b.clientId));
    },
    delete: async (clientId) => {
      try {
        await ddb.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: marshall(keys.client(clientId)),
            ConditionExpression: 'attribute_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    setPolicy: async (clientId, policy) => {
      const parsed = parsePolicy(policy);
      const updated = await table.update<StoredClient>(keys.client(clientId), {
        update: 'SET #policy = :policy',
        condition: EXISTS,
        names: { '#policy': 'policy' },
        values: { ':policy': JSON.stringify(parsed) },
      });
      if (!updated) throw new UnknownClientError(clientId);
      return parsed;
    },
    getPolicy: async (clientId) => {
      // Only the id and the policy leave the table: never the salt or hash.
      const out = await ddb.send(
        new GetItemCommand({
          TableName: tableName,
          Key: marshall(keys.client(clientId)),
          ConsistentRead: true,
          ProjectionExpression: 'clientId, #policy',
          ExpressionAttributeNames: { '#policy': 'policy' },
        }),
      );
      if (!out.Item) throw new UnknownClientError(clientId);
      const { policy } = unmarshall(out.Item) as Pick<StoredClient, 'policy'>;
      return policy === undefined ? undefined : policyOfAttribute(clientId, policy);
    },
    clearPolicy: async (clientId) => {
      const updated = await table.update<StoredClient>(keys.client(clientId), {
        update: 'REMOVE #policy',
        condition: EXISTS,
        names: { '#policy': 'policy' },
      });
      if (!updated) throw new UnknownClientError(clientId);
    },
  };
};
