import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ClientRecord, FactorRecord, Store, TransactionRecord } from '../../ports/store.js';
import { keys } from '../../table.js';

const strip = <T>(item: Record<string, unknown>): T => {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
};

/** DynamoDB implementation of the store: single-item reads and conditional writes only. */
export const createDynamoStore = (ddb: DynamoDBClient, tableName: string): Store => {
  const put = (item: object, condition?: string) =>
    ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
        ConditionExpression: condition,
      }),
    );
  const get = async <T>(key: { pk: string; sk: string }): Promise<T | undefined> => {
    const out = await ddb.send(
      new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }),
    );
    return out.Item ? strip<T>(unmarshall(out.Item)) : undefined;
  };

  return {
    getClient: (clientId) => get<ClientRecord>(keys.client(clientId)),
    putClient: async (client) => {
      await put({ ...keys.client(client.clientId), ...client });
    },
    listFactors: async (clientId, userId) => {
      const out = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :factor)',
          ExpressionAttributeValues: marshall({
            ':pk': keys.userFactors(clientId, userId),
            ':factor': 'FACTOR#',
          }),
          ConsistentRead: true,
        }),
      );
      return (out.Items ?? []).map((item) => strip<FactorRecord>(unmarshall(item)));
    },
    createTransaction: async (record) => {
      await put(
        { ...keys.transaction(record.stateTokenHash), ...record },
        'attribute_not_exists(pk)',
      );
    },
    getTransaction: (stateTokenHash) => get<TransactionRecord>(keys.transaction(stateTokenHash)),
  };
};
