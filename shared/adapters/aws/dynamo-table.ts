import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AuditTrail } from '../../domain/audit-chain.js';
import type { TransactionView, UserFactors } from '../../domain/entities.js';
import { transactionView } from '../../domain/transaction.js';
import type { AuditEvent } from '../../ports/events.js';
import type { AuditWrite, Conditional } from '../../ports/store.js';
import type { ItemKey } from '../../table.js';
import { type ChainMode, ChainWrite } from '../audit-write.js';

export interface UpdateSpec {
  readonly update: string;
  readonly condition?: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
  /** Return the item as it was before the update (default: as it is after). */
  readonly returnOld?: boolean;
  /** Audit events this write records on the user's chain (`AuditWrite`; `write` only). */
  readonly audit?: AuditWrite;
}

/**
 * A conditional write: done, with the item after it (or before, `returnOld`), or refused,
 * with the item the refused condition saw (undefined: there was none).
 */
export type Written<T> =
  | { readonly ok: true; readonly item: T; readonly recorded: readonly AuditEvent[] }
  | { readonly ok: false; readonly item: T | undefined };

/** A write on a user item as the store ports return it (`Conditional`). */
export const conditionalDone = (written: Written<UserFactors>): Conditional<void> =>
  written.ok
    ? { ok: true, value: undefined, recorded: written.recorded }
    : { ok: false, seen: written.item };

/** The transaction a written user item holds as the port's view, or the item a refusal saw. */
export const conditionalView = (
  ref: { readonly stateTokenHash: string },
  written: Written<UserFactors>,
): Conditional<TransactionView> => {
  const found = written.ok ? transactionView(ref, written.item) : undefined;
  return found && written.ok
    ? { ok: true, value: found, recorded: written.recorded }
    : { ok: false, seen: written.item };
};

/** `clause` added to the SET action of an update expression (made first when there is none). */
const withSet = (update: string, clause: string) => {
  if (update.startsWith('SET ')) return `SET ${clause}, ${update.slice(4)}`;
  if (/\bSET\b/.test(update)) throw new Error('SET must come first in the update expression');
  return `SET ${clause} ${update}`;
};

/**
 * The update that also records audit events on the user's chain (`ChainMode`): appended to
 * `auditLog`, or folded into the head on the condition that the chain is where it was read.
 */
const chainedSpec = (spec: UpdateSpec, mode: ChainMode | undefined): UpdateSpec => {
  if (!mode) return spec;
  if (mode.kind === 'append') {
    // Never twice: an SDK retry of a write already applied finds its first entry there.
    const fresh = 'NOT contains(auditLog, :auditFirst)';
    return {
      ...spec,
      update: withSet(
        spec.update,
        'auditLog = list_append(if_not_exists(auditLog, :auditNone), :auditNew)',
      ),
      condition: spec.condition ? `(${spec.condition}) AND ${fresh}` : fresh,
      values: {
        ...spec.values,
        ':auditNone': [],
        ':auditNew': mode.entries,
        ':auditFirst': mode.entries[0],
      },
    };
  }
  const { read, head } = mode;
  const unmoved = [
    read.seq === undefined ? 'attribute_not_exists(auditSeq)' : 'auditSeq = :auditSeen',
    read.length === 0
      ? '(attribute_not_exists(auditLog) OR size(auditLog) = :auditLength)'
      : 'size(auditLog) = :auditLength',
  ].join(' AND ');
  return {
    ...spec,
    update: withSet(
      spec.update,
      'auditSeq = :auditSeq, auditHash = :auditHash, auditLog = :auditNone',
    ),
    condition: spec.condition ? `(${spec.condition}) AND ${unmoved}` : unmoved,
    values: {
      ...spec.values,
      ':auditNone': [],
      ':auditSeq': head.seq,
      ':auditHash': head.hash,
      ':auditLength': read.length,
      ...(read.seq === undefined ? {} : { ':auditSeen': read.seq }),
    },
  };
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
  const once = async <T>(key: ItemKey, spec: UpdateSpec): Promise<Written<T>> => {
    try {
      const out = await ddb.send(
        new UpdateItemCommand({
          ...updateInput(key, spec),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, item: strip<T>(unmarshall(out.Attributes ?? {})), recorded: [] };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { ok: false, item: error.Item ? strip<T>(unmarshall(error.Item)) : undefined };
    }
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
    write: async <T extends AuditTrail>(key: ItemKey, spec: UpdateSpec): Promise<Written<T>> => {
      const { audit, ...plain } = spec;
      const chain = new ChainWrite(audit, plain.returnOld);
      for (;;) {
        const settled = chain.settle(await once<T>(key, chainedSpec(plain, chain.mode)));
        if (settled) return settled;
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
