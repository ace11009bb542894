import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableResource } from '../../local/template.js';
import { runSigningKeyCli } from '../../scripts/signing-key.js';
import { SIGNING_KEYS_ITEM } from '../../shared/adapters/aws/envelope-signer.js';
import { deps } from '../support/deps.js';
import { fakeEnvelopeKms } from '../support/fake-kms.js';
import { startTestRuntime } from '../support/local.js';
import { sampleClaims } from '../support/mfa-tokens.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/data';
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let dir: string;
const fakeKms = fakeEnvelopeKms(KEY_ARN);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mfa-signing-key-cli-'));
  process.env.MFA_RUNTIME_FILE = path.join(dir, 'runtime.json');
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

const cli = async (...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runSigningKeyCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    kms: () => fakeKms.kms as unknown as KMSClient,
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
};

const jwksKids = async () =>
  (
    (await (await fetch(`${runtime.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    }
  ).keys.map((key) => key.kid);

describe('npm run signing-key -- rotate', () => {
  it('--local: the running runtime signs with the new key at once; the old one stays published', async () => {
    const [before] = await jwksKids();
    const result = await cli('rotate');
    expect(result.code).toBe(0);
    const { kid } = result.json();
    expect(kid).not.toBe(before);
    expect(await jwksKids()).toEqual([kid, before]);
    const token = await deps().signer.sign({ ...sampleClaims(), iss: runtime.url });
    expect(decodeProtectedHeader(token).kid).toBe(kid);
  });

  it('--table --key-id (envelope mode): rotates the sealed key set in the table, one version at a time', async () => {
    const table = tableResource(runtime.template).name;
    const target = [
      '--table',
      table,
      '--key-id',
      KEY_ARN,
      '--region',
      'us-east-1',
      '--endpoint',
      process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
    ];
    const first = await cli('rotate', ...target);
    expect(first.code, first.stderr).toBe(0);
    const firstResult = first.json() as { kid: string; retired: string[]; dropped: string[] };
    expect(firstResult.retired).toHaveLength(1); // the key the empty set was created with
    const second = await cli('rotate', ...target, '--retain-seconds', '0');
    const secondResult = second.json() as { kid: string; retired: string[]; dropped: string[] };
    expect(secondResult.retired).toEqual([firstResult.kid]);
    expect(secondResult.dropped).toEqual(firstResult.retired);

    const ddb = new DynamoDBClient({});
    const item = unmarshall(
      (
        await ddb.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: { S: SIGNING_KEYS_ITEM.pk }, sk: { S: SIGNING_KEYS_ITEM.sk } },
            ConsistentRead: true,
          }),
        )
      ).Item ?? {},
    );
    ddb.destroy();
    expect(item.version).toBe(2);
    // Every key stays (its public half: receipts it signed stay verifiable); the one retired
    // past the retention has no private half any more.
    const keys = item.keys as { kid: string; sealedPrivateKey?: string }[];
    expect(keys.map((key) => key.kid)).toEqual([
      secondResult.kid,
      firstResult.kid,
      ...firstResult.retired,
    ]);
    expect(keys.map((key) => key.sealedPrivateKey !== undefined)).toEqual([true, true, false]);
    expect(JSON.stringify(item)).not.toMatch(/"d"/);
  });

  it('usage errors exit 1, a missing runtime exits 2, each with a reason', async () => {
    expect((await cli('spin')).code).toBe(1);
    const noKey = await cli('rotate', '--table', 't');
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('--table needs --key-id');
    expect((await cli('rotate', '--retain-seconds', '-1')).code).toBe(1);
    const saved = process.env.MFA_RUNTIME_FILE;
    process.env.MFA_RUNTIME_FILE = path.join(dir, 'none.json');
    try {
      const missing = await cli('rotate', '--local');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('npm start');
    } finally {
      process.env.MFA_RUNTIME_FILE = saved;
    }
  });
});
