import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { tableResource } from '../../local/template.js';
import { activeFactor, startAuthn } from '../support/flows.js';
import { postJson, startTestRuntime } from '../support/local.js';

describe('MFA_DATA_DIR', () => {
  it('keeps tables across a restart', async () => {
    // A folder the runtime makes itself is this user's alone (the table holds secrets' hashes).
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'mfa-data-')), 'made');
    const first = await startTestRuntime({ dataDir });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    await activeFactor(first.url, 'persist', 'email', 'persist@example.com');
    const started = await startAuthn(first.url, { userId: 'persist' });
    await first.close();

    const second = await startTestRuntime({ dataDir });
    try {
      const table = tableResource(second.template).name;
      // The factor and the transaction are still there: its state token still works.
      const status = await postJson(second.url, '/v1/authn/status', {
        stateToken: started.stateToken,
      });
      expect(await status.json()).toMatchObject({
        status: 'MFA_REQUIRED',
        transactionId: started.transactionId,
      });
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
