import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableResource } from '../../local/template.js';
import { runClientCli } from '../../scripts/client.js';
import { hashClientSecret } from '../../shared/domain/client-secret.js';
import { keys } from '../../shared/table.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';

const root = path.resolve(import.meta.dirname, '../..');
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let dir: string;
let ddb: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  // A runtime file of this test's own, so runtimes of other test files (or a developer's
  // npm start) can never be the one the CLI talks to.
  dir = await mkdtemp(path.join(tmpdir(), 'mfa-client-cli-'));
  process.env.MFA_RUNTIME_FILE = path.join(dir, 'runtime.json');
  runtime = await startTestRuntime();
  ddb = new DynamoDBClient({});
  tableName = tableResource(runtime.template).name;
});
afterAll(async () => {
  ddb?.destroy();
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

const cli = async (...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runClientCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests assert the shape of what is read
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, any> };
};

const authn = (clientId: string, secret: string) =>
  postJson(runtime.url, '/v1/authn', { userId: 'cli-user' }, basicAuth(clientId, secret));

const storedClient = async (clientId: string) => {
  const out = await ddb.send(
    new GetItemCommand({ TableName: tableName, Key: marshall(keys.client(clientId)) }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
};

describe('npm run client -- --local against the running local runtime', () => {
  it('the runtime publishes its DynamoDB endpoint, table and key folder in the runtime file', async () => {
    const file = JSON.parse(await readFile(process.env.MFA_RUNTIME_FILE as string, 'utf8'));
    expect(file).toEqual({
      dynamodbEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      tableName,
      url: runtime.url,
      keyDir: expect.stringMatching(/keys$/),
      pid: process.pid,
    });
  });

  it('create → the app authenticates with the printed secret; only a salted hash is stored', async () => {
    const created = await cli('create', '--name', 'Shop app');
    expect(created.code).toBe(0);
    const body = created.json();
    expect(body).toEqual({
      clientId: expect.stringMatching(/^app_[A-Za-z0-9_-]{12}$/),
      name: 'Shop app',
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const response = await authn(body.clientId, body.clientSecret);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status?: string }).status).toBe('MFA_ENROLL');

    const record = await storedClient(body.clientId);
    expect(record).toEqual({
      pk: `CLIENT#${body.clientId}`,
      sk: 'CLIENT',
      clientId: body.clientId,
      name: 'Shop app',
      salt: expect.stringMatching(/^[0-9a-f]{32}$/),
      secretHash: hashClientSecret(body.clientSecret, record?.salt),
    });
    expect(created.stdout).not.toContain(record?.secretHash);
    expect(created.stdout).not.toContain(record?.salt);
  });

  it('create --id uses the id given and never overwrites an existing client', async () => {
    const first = await cli('create', '--name', 'Bank', '--id', 'bank.app-1');
    expect(first.code).toBe(0);
    expect(first.json().clientId).toBe('bank.app-1');
    const again = await cli('create', '--name', 'Impostor', '--id', 'bank.app-1');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(again.stdout).toBe('');
    expect((await authn('bank.app-1', first.json().clientSecret)).status).toBe(200);
    expect((await storedClient('bank.app-1'))?.name).toBe('Bank');
  });

  it('rotate-secret → the new secret works, then the old one gets 401 invalid_client', async () => {
    const { clientId, clientSecret: oldSecret } = (
      await cli('create', '--name', 'Rotating')
    ).json();
    expect((await authn(clientId, oldSecret)).status).toBe(200); // now cached by the service
    const rotated = await cli('rotate-secret', '--id', clientId);
    expect(rotated.code).toBe(0);
    const { clientSecret: newSecret, name } = rotated.json();
    expect(name).toBe('Rotating');
    expect(newSecret).not.toBe(oldSecret);
    // The new secret first: a mismatch against the cached record makes the service re-read
    // it. (Before that, a warm cache can still accept the old secret: see the CLI help.)
    expect((await authn(clientId, newSecret)).status).toBe(200);
    const old = await authn(clientId, oldSecret);
    expect(old.status).toBe(401);
    expect(((await old.json()) as { code?: string }).code).toBe('invalid_client');
    expect(old.headers.get('www-authenticate')).toBe('Basic realm="mfa"');
  });

  it('list shows ids and names only, never a salt, hash or secret', async () => {
    const { clientId } = (await cli('create', '--name', 'Listed')).json();
    const listed = await cli('list');
    expect(listed.code).toBe(0);
    const { clients } = listed.json();
    expect(clients).toContainEqual({ clientId, name: 'Listed' });
    expect(clients).toContainEqual({ clientId: 'demo', name: 'Local demo client' });
    for (const client of clients) expect(Object.keys(client).sort()).toEqual(['clientId', 'name']);
    const scan = await ddb.send(new ScanCommand({ TableName: tableName }));
    const stored = (scan.Items ?? []).map((item) => unmarshall(item)).filter((item) => item.salt);
    expect(stored.length).toBe(clients.length);
    for (const item of stored) {
      expect(listed.stdout).not.toContain(item.secretHash);
      expect(listed.stdout).not.toContain(item.salt);
    }
  });

  it('delete removes the record from the table (the service may trust its cache up to 60 s)', async () => {
    const { clientId, clientSecret } = (await cli('create', '--name', 'Doomed')).json();
    expect((await authn(clientId, clientSecret)).status).toBe(200);
    const deleted = await cli('delete', '--id', clientId);
    expect(deleted.code).toBe(0);
    expect(deleted.json()).toEqual({ clientId, deleted: true });
    expect(await storedClient(clientId)).toBeUndefined();
    expect((await cli('list')).json().clients).not.toContainEqual(
      expect.objectContaining({ clientId }),
    );
    const again = await cli('delete', '--id', clientId);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`no client ${clientId}`);
    const rotateGone = await cli('rotate-secret', '--id', clientId);
    expect(rotateGone.code).toBe(2);
  });

  it.each([
    [[]],
    [['frobnicate']],
    [['create']],
    [['create', '--name', 'x', '--id', 'has space']],
    [['create', '--name', 'x', '--id', 'a'.repeat(65)]],
    [['rotate-secret']],
    [['delete']],
    [['list', '--local', '--table', 't']],
    [['list', '--region', 'eu-west-1']],
    [['list', '--bogus']],
  ])('usage error %j → exit 1, usage on stderr, nothing on stdout', async (argv) => {
    const result = await cli(...argv);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .+\n\nUsage: npm run client/);
    expect(result.stdout).toBe('');
  });

  it('without a running local runtime → exit 2 telling to start it', async () => {
    const own = process.env.MFA_RUNTIME_FILE;
    try {
      process.env.MFA_RUNTIME_FILE = path.join(dir, 'missing.json');
      const missing = await cli('list');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('start the local runtime with npm start first');

      const exited = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => exited.on('exit', resolve));
      const stale = JSON.parse(await readFile(own as string, 'utf8'));
      await writeFile(process.env.MFA_RUNTIME_FILE, JSON.stringify({ ...stale, pid: exited.pid }));
      const dead = await cli('list');
      expect(dead.code).toBe(2);
      expect(dead.stderr).toContain(`(pid ${exited.pid}) is not running`);
    } finally {
      process.env.MFA_RUNTIME_FILE = own;
    }
  });

  it('the script itself: JSON on stdout and its exit codes', async () => {
    const run = (...argv: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/client.ts', ...argv], {
        cwd: root,
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const listed = await run('list', '--local');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).clients).toContainEqual({
      clientId: 'demo',
      name: 'Local demo client',
    });
    expect((await run('delete', '--id', 'no-such-client')).code).toBe(2);
    expect((await run('delete')).code).toBe(1);
  });
});
