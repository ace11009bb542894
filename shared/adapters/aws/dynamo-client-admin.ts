import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ClientRecord } from '../../domain/entities.js';
import type { ClientStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import { dynamoClientStore } from './dynamo-clients.js';
import { tableOps } from './dynamo-table.js';

/** What an operator may see of an app client: never its salt or hash. */
export interface ClientSummary {
  readonly clientId: string;
  readonly name: string;
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
}

const CLIENT_PREFIX = keys.client('').pk;

export const dynamoClientAdmin = (ddb: DynamoDBClient, tableName: string): ClientAdminStore => {
  const table = tableOps(ddb, tableName);
  const store = dynamoClientStore(table);
  return {
    ...store,
    create: (client) => table.put(keys.client(client.clientId), client, 'attribute_not_exists(pk)'),
    replaceSecret: async (clientId, salt, secretHash) => {
      const updated = await table.update<ClientRecord>(keys.client(clientId), {
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
  };
};
