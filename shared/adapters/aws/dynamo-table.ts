import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ItemKey } from '../../table.js';

export interface UpdateSpec {
  readonly update: string;
  readonly condition?: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
  /** Return the item as it was before the update (default: as it is after). */
  readonly returnOld?: boolean;
}

/** Thin helpers over one table: strongly consistent reads, conditional single-item writes. */
export const tableOps = (ddb: DynamoDBClient, tableName: string) => {
  const strip = <T>(item: Record<string, unknown>): T => {
    const { pk: _pk, sk: _sk, ...rest } = item;
    return rest as T;
  };
  return {
    get: async <T>(key: ItemKey): Promise<T | undefined> => {
      const out = await ddb.send(
        new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }),
      );
      return out.Item ? strip<T>(unmarshall(out.Item)) : undefined;
    },
    /** Puts an item; false when the condition failed. */
    put: async (key: ItemKey, item: object, condition?: string): Promise<boolean> => {
      try {
        await ddb.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall({ ...item, ...key }, { removeUndefinedValues: true }),
            ConditionExpression: condition,
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    /** Updates an item and returns it (after, or before with `returnOld`); undefined when the condition failed. */
    update: async <T>(key: ItemKey, spec: UpdateSpec): Promise<T | undefined> => {
      try {
        const out = await ddb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall(key),
            UpdateExpression: spec.update,
            ConditionExpression: spec.condition,
            ExpressionAttributeNames: spec.names,
            ExpressionAttributeValues: spec.values
              ? marshall(spec.values, {
                  removeUndefinedValues: true,
                  convertClassInstanceToMap: true,
                })
              : undefined,
            ReturnValues: spec.returnOld ? 'ALL_OLD' : 'ALL_NEW',
          }),
        );
        return strip<T>(unmarshall(out.Attributes ?? {}));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
  };
};

export type TableOps = ReturnType<typeof tableOps>;
