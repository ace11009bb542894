import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, startDynamo } from '../../local/dynamo.js';

/** The embedded DynamoDB (dynalite) with what the service relies on beyond dynalite 4. */
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let ddb: DynamoDBClient;
const TableName = 'local-dynamo-test';

beforeAll(async () => {
  dynamo = await startDynamo();
  ddb = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(ddb, TableName, {
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  });
  await ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'item' }, count: { N: '5' } } }));
});
afterAll(async () => {
  ddb?.destroy();
  await new Promise((resolve) => dynamo?.server.close(resolve));
});

const refusal = async (command: UpdateItemCommand | PutItemCommand) => {
  try {
    await ddb.send(command as UpdateItemCommand);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return error;
    throw error;
  }
  throw new Error('the condition held');
};

const update = (returnOld: boolean) =>
  new UpdateItemCommand({
    TableName,
    Key: { pk: { S: 'item' } },
    UpdateExpression: 'SET #c = :one',
    ConditionExpression: '#c < :zero',
    ExpressionAttributeNames: { '#c': 'count' },
    ExpressionAttributeValues: { ':one': { N: '1' }, ':zero': { N: '0' } },
    ...(returnOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
  });

describe('ReturnValuesOnConditionCheckFailure', () => {
  it('ALL_OLD: a refused update carries the item its condition saw', async () => {
    const error = await refusal(update(true));
    expect(error.Item).toEqual({ pk: { S: 'item' }, count: { N: '5' } });
  });

  it('not asked: the refusal carries no item, as on AWS', async () => {
    expect((await refusal(update(false))).Item).toBeUndefined();
  });

  it('a refused put carries the item too; an absent item gives none', async () => {
    const put = (pk: string) =>
      new PutItemCommand({
        TableName,
        Item: { pk: { S: pk } },
        ConditionExpression: 'attribute_exists(pk) AND pk = :never',
        ExpressionAttributeValues: { ':never': { S: 'never' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    expect((await refusal(put('item'))).Item?.count).toEqual({ N: '5' });
    expect((await refusal(put('missing'))).Item).toBeUndefined();
  });
});
