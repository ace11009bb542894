import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { TransactionView, UserFactors } from '../../domain/entities.js';
import { transactionView } from '../../domain/transaction.js';
import type { Conditional } from '../../ports/store.js';
import type { ItemKey } from '../../table.js';

export interface UpdateSpec {
  readonly update: string;
  readonly condition?: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
  /** Return the item as it was before the update (default: as it is after). */
  readonly returnOld?: boolean;
}

/**
 * A conditional write: done, with the item after it (or before, `returnOld`), or refused,
 * with the item the refused condition saw (undefined: there was none).
 */
export type Written<T> =
  | { readonly ok: true; readonly item: T }
  | { readonly ok: false; readonly item: T | undefined };

/** A write on a user item as the store ports return it (`Conditional`). */
export const conditionalDone = (written: Written<UserFactors>): Conditional<void> =>
  written.ok ? { ok: true, value: undefined } : { ok: false, seen: written.item };

/** The transaction a written user item holds as the port's view, or the item a refusal saw. */
export const conditionalView = (
  ref: { readonly stateTokenHash: string },
  written: Written<UserFactors>,
): Conditional<TransactionView> => {
  const found = written.ok ? transactionView(ref, written.item) : undefined;
  return found ? { ok: true, value: found } : { ok: false, seen: written.item };
};

/** Thin helpers over one table: strongly consistent reads, conditional single-item writes. */
export const tableOps = (ddb: DynamoDBClient, tableName: string) => {
  const updateInput = (key: ItemKey, spec: UpdateSpec) => ({
    TableName: tableName,
    Key: marshall(key),
    UpdateExpression: spec.update,
    ConditionExpression: spec.condition,
    ExpressionAttributeNames: spec.names,
    ExpressionAttributeValues: spec.values
      ? marshall(spec.values, { removeUndefinedValues: true, convertClassInstanceToMap: true })
      : undefined,
    ReturnValues: spec.returnOld ? ('ALL_OLD' as const) : ('ALL_NEW' as const),
  });
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
    /**
     * A conditional update that explains itself: a refusal carries the item its condition saw
     * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the caller says why without a
     * second read.
     */
    write: async <T>(key: ItemKey, spec: UpdateSpec): Promise<Written<T>> => {
      try {
        const out = await ddb.send(
          new UpdateItemCommand({
            ...updateInput(key, spec),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { ok: true, item: strip<T>(unmarshall(out.Attributes ?? {})) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return { ok: false, item: error.Item ? strip<T>(unmarshall(error.Item)) : undefined };
      }
    },
    /** Updates an item and returns it (after, or before with `returnOld`); undefined when the condition failed. */
    update: async <T>(key: ItemKey, spec: UpdateSpec): Promise<T | undefined> => {
      try {
        const out = await ddb.send(new UpdateItemCommand(updateInput(key, spec)));
        return strip<T>(unmarshall(out.Attributes ?? {}));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
  };
};

export type TableOps = ReturnType<typeof tableOps>;
