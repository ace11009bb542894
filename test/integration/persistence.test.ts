import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { tableResource } from '../../local/template.js';
import { postJson, startTestRuntime } from '../support/local.js';

const transactionIds = async (tableName: string) => {
  const ddb = new DynamoDBClient({});
  const scan = await ddb.send(new ScanCommand({ TableName: tableName }));
  ddb.destroy();
  return (scan.Items ?? []).map((item) => unmarshall(item).transactionId).filter(Boolean);
};

describe('MFA_DATA_DIR', () => {
  it('keeps tables across a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mfa-data-'));
    const first = await startTestRuntime({ dataDir });
    const started = (await (
      await postJson(first.url, '/v1/authn', { userId: 'persist' })
    ).json()) as {
      transactionId: string;
    };
    await first.close();

    const second = await startTestRuntime({ dataDir });
    try {
      const table = tableResource(second.template).name;
      expect(await transactionIds(table)).toContain(started.transactionId);
      const ddb = new DynamoDBClient({});
      const client = await ddb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: 'CLIENT#demo' }, sk: { S: 'CLIENT' } },
        }),
      );
      ddb.destroy();
      // Stored hashed, never the secret itself.
      expect(JSON.stringify(client.Item)).not.toContain('demo-secret');
      expect(client.Item?.secretHash?.S).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await second.close();
    }
  });
});
