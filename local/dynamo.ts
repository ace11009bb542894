import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { listenOnLoopback } from './loopback.js';

const require = createRequire(import.meta.url);

/**
 * DynamoDB's `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` (the item a refused condition
 * saw, in the ConditionalCheckFailedException), which dynalite 4 lacks: its validations learn
 * the parameter, and its condition check, which runs under the item's lock, puts the item it
 * checked into the error. So a refused write is explained from the item it was refused on,
 * with no second read, locally as on AWS.
 */
const teachReturnValuesOnConditionCheckFailure = () => {
  const db = require('dynalite/db') as {
    checkConditional: (data: Record<string, unknown>, item: unknown) => unknown;
  };
  if ((db.checkConditional as { taught?: boolean }).taught) return;
  for (const action of ['updateItem', 'putItem', 'deleteItem']) {
    const { types } = require(`dynalite/validations/${action}`) as {
      types: Record<string, unknown>;
    };
    types.ReturnValuesOnConditionCheckFailure = { type: 'String', enum: ['ALL_OLD', 'NONE'] };
  }
  const check = db.checkConditional;
  db.checkConditional = Object.assign(
    (data: Record<string, unknown>, item: unknown) => {
      const error = check(data, item) as { body?: Record<string, unknown> } | null | undefined;
      if (error?.body && item && data.ReturnValuesOnConditionCheckFailure === 'ALL_OLD')
        error.body.Item = item;
      return error;
    },
    { taught: true },
  );
};

/** Starts the embedded DynamoDB-compatible server (dynalite) on a free loopback port. */
export const startDynamo = async (dataPath?: string): Promise<{ url: string; server: Server }> => {
  teachReturnValuesOnConditionCheckFailure();
  const server = dynalite({
    ...(dataPath ? { path: dataPath } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  return listenOnLoopback(server);
};

/** Creates the table exactly as the synthesized template declares it, unless it exists. */
export const ensureTable = async (
  ddb: DynamoDBClient,
  tableName: string,
  properties: Record<string, unknown>,
): Promise<void> => {
  try {
    await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { KeySchema, AttributeDefinitions, GlobalSecondaryIndexes } =
    properties as unknown as CreateTableCommandInput;
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema,
      AttributeDefinitions,
      GlobalSecondaryIndexes,
    }),
  );
  // dynalite answers CreateTable with CREATING and writes fail until the table is ACTIVE.
  for (let attempt = 0; attempt < 250; attempt += 1) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
};
