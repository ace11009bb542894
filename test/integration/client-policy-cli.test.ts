import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableResource } from '../../local/template.js';
import { runClientCli } from '../../scripts/client.js';
import {
  type ClientAdminStore,
  dynamoClientAdmin,
  UnknownClientError,
} from '../../shared/adapters/aws/dynamo-client-admin.js';
import { hashClientSecret } from '../../shared/domain/client-secret.js';
import {
  defaultPolicy,
  deviceRef,
  type Policy,
  PolicyError,
  SANCTIONED_RULE_ID,
} from '../../shared/domain/policy/index.js';
import { keys } from '../../shared/table.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';

const root = path.resolve(import.meta.dirname, '../..');
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let dir: string;
let ddb: DynamoDBClient;
let tableName: string;
let admin: ClientAdminStore;

beforeAll(async () => {
  // A runtime file of this test's own, so no other runtime is the one the CLI talks to.
  dir = await mkdtemp(path.join(tmpdir(), 'mfa-client-policy-'));
  process.env.MFA_RUNTIME_FILE = path.join(dir, 'runtime.json');
  runtime = await startTestRuntime();
  ddb = new DynamoDBClient({});
  tableName = tableResource(runtime.template).name;
  admin = dynamoClientAdmin(ddb, tableName);
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
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as any };
};

let files = 0;
const file = async (content: unknown) => {
  files += 1;
  const name = path.join(dir, `input-${files}.json`);
  await writeFile(name, typeof content === 'string' ? content : JSON.stringify(content));
  return name;
};

const storedItem = async (clientId: string) => {
  const out = await ddb.send(
    new GetItemCommand({ TableName: tableName, Key: marshall(keys.client(clientId)) }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
};

let clients = 0;
/** A new app (its own id, so no cached record of an earlier test is in the way). */
const newClient = async () => {
  clients += 1;
  const clientId = `policy-app-${clients}`;
  const salt = 'a1'.repeat(16);
  expect(
    await admin.create({ clientId, name: clientId, salt, secretHash: hashClientSecret('s', salt) }),
  ).toBe(true);
  return clientId;
};
const authn = (clientId: string) =>
  postJson(runtime.url, '/v1/authn', { userId: 'policy-user' }, basicAuth(clientId, 's'));

const POLICY: Policy = {
  version: 1,
  rules: [
    // biome-ignore lint/suspicious/noThenProperty: the policy document's own member
    { id: 'no-kp', if: { country: { in: ['KP'] } }, then: 'deny' },
    {
      id: 'large',
      if: { amount: { gt: '1000.00', currency: 'EUR' } },
      // biome-ignore lint/suspicious/noThenProperty: the policy document's own member
      then: { require: 'sca' },
    },
  ],
  exemptions: {
    lowValue: { currency: 'EUR', maxAmount: '30.00', maxCumulative: '100.00', maxCount: 5 },
  },
  default: { require: 'mfa' },
};
const TYPO = {
  version: 1,
  // biome-ignore lint/suspicious/noThenProperty: the policy document's own member
  rules: [{ id: 'x', if: { contry: { in: ['KP'] } }, then: 'deny' }],
};
const payment = (amount: string) => ({
  userId: 'u1',
  transaction: { amount, currency: 'EUR', payee: 'Corner shop' },
});

describe('client admin: policies (DynamoDB adapter)', () => {
  it('stores a policy as one JSON string attribute and reads it back with the client', async () => {
    const clientId = await newClient();
    await expect(admin.setPolicy(clientId, POLICY)).resolves.toEqual(POLICY);
    const item = await storedItem(clientId);
    expect(typeof item?.policy).toBe('string');
    expect(JSON.parse(item?.policy)).toEqual(POLICY);
    await expect(admin.getPolicy(clientId)).resolves.toEqual(POLICY);
    await expect(admin.get(clientId)).resolves.toEqual({
      clientId,
      name: clientId,
      salt: item?.salt,
      secretHash: item?.secretHash,
      policy: POLICY,
    });
    await admin.clearPolicy(clientId);
    expect(await storedItem(clientId)).not.toHaveProperty('policy');
    await expect(admin.getPolicy(clientId)).resolves.toBeUndefined();
    expect(await admin.get(clientId)).not.toHaveProperty('policy');
    await admin.clearPolicy(clientId); // none to clear: still done
  });

  it('create and put store a policy in the same form', async () => {
    const salt = 'b2'.repeat(16);
    const client = { clientId: 'policy-created', name: 'C', salt, secretHash: 'h', policy: POLICY };
    expect(await admin.create(client)).toBe(true);
    expect(JSON.parse((await storedItem('policy-created'))?.policy)).toEqual(POLICY);
    await admin.put({ ...client, policy: defaultPolicy() });
    await expect(admin.getPolicy('policy-created')).resolves.toEqual(defaultPolicy());
  });

  it('refuses an invalid policy with the path of its first problem, writing nothing', async () => {
    const clientId = await newClient();
    const error = await admin.setPolicy(clientId, TYPO).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ code: 'invalid_policy', path: 'rules.0.if.contry' });
    expect(await storedItem(clientId)).not.toHaveProperty('policy');
  });

  it('an unknown client: UnknownClientError (not_found), and no client is created', async () => {
    for (const operation of [
      () => admin.setPolicy('ghost-app', POLICY),
      () => admin.getPolicy('ghost-app'),
      () => admin.clearPolicy('ghost-app'),
    ]) {
      const error = await operation().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownClientError);
      expect(error).toMatchObject({ code: 'not_found', clientId: 'ghost-app' });
    }
    expect(await storedItem('ghost-app')).toBeUndefined();
  });

  it('a stored policy of another version fails the read (never read as "no policy")', async () => {
    const clientId = await newClient();
    const item = await storedItem(clientId);
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({ ...item, policy: JSON.stringify({ ...POLICY, version: 2 }) }),
      }),
    );
    await expect(admin.get(clientId)).rejects.toThrow(
      `the stored policy of client ${clientId} is invalid: version: must be 1`,
    );
    await expect(admin.getPolicy(clientId)).rejects.not.toBeInstanceOf(PolicyError);
    // The service fails closed: 500, not the app's requests without their deny rules.
    const response = await authn(clientId);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { code: string }).code).toBe('internal_error');
  });

  it('the service reads a stored policy with the client record: the app still authenticates', async () => {
    const clientId = await newClient();
    await admin.setPolicy(clientId, POLICY);
    expect((await authn(clientId)).status).toBe(200);
  });
});

describe('npm run client -- policy set|get|clear', () => {
  it('set validates and stores the file, printing the policy; get prints it again', async () => {
    const clientId = await newClient();
    const set = await cli('policy', 'set', '--id', clientId, '--file', await file(POLICY));
    expect(set.code).toBe(0);
    expect(set.json()).toEqual(POLICY);
    // Warm functions see it after their client cache: the operator is told when.
    expect(set.stderr).toContain('within CLIENT_CACHE_SECONDS');
    const got = await cli('policy', 'get', '--id', clientId);
    expect(got.code).toBe(0);
    expect(got.json()).toEqual(POLICY);
    // What get prints is a file set accepts: the operator's edit loop.
    const again = await cli('policy', 'set', '--id', clientId, '--file', await file(got.stdout));
    expect(again.code).toBe(0);
  });

  it.each([
    ['an unknown field', TYPO, 'invalid_policy at rules.0.if.contry: is not a known field'],
    ['another version', { ...POLICY, version: 2 }, 'invalid_policy at version: must be 1'],
    ['no JSON', '{"version": 1,', 'invalid_policy at (policy): is not JSON'],
    [
      'a bad CIDR',
      // biome-ignore lint/suspicious/noThenProperty: the policy document's own member
      { version: 1, rules: [{ id: 'ip', if: { ip: { inCidr: ['10.0.0.1/8'] } }, then: 'deny' }] },
      'invalid_policy at rules.0.if.ip.inCidr.0: must be an IPv4 or IPv6 CIDR',
    ],
  ])(
    'set with %s → exit 1, invalid_policy and the path, nothing stored',
    async (_, content, message) => {
      const clientId = await newClient();
      const result = await cli('policy', 'set', '--id', clientId, '--file', await file(content));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: ${message}`);
      expect(result.stderr).not.toContain('Usage:');
      expect(result.stdout).toBe('');
      expect(await storedItem(clientId)).not.toHaveProperty('policy');
    },
  );

  it('set with a missing file → exit 1 naming it', async () => {
    const missing = path.join(dir, 'missing.json');
    const result = await cli('policy', 'set', '--id', 'x', '--file', missing);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: --file ${missing}: cannot read it (ENOENT)\n`);
  });

  it('get of an app without a policy prints null and says what applies', async () => {
    const clientId = await newClient();
    const got = await cli('policy', 'get', '--id', clientId);
    expect(got.code).toBe(0);
    expect(got.json()).toBeNull();
    expect(got.stderr).toContain('has no policy of its own');
    expect(got.stderr).toContain('DEFAULT_POLICY');
  });

  it('clear removes it', async () => {
    const clientId = await newClient();
    await admin.setPolicy(clientId, POLICY);
    const cleared = await cli('policy', 'clear', '--id', clientId);
    expect(cleared.code).toBe(0);
    expect(cleared.json()).toEqual({ clientId, policy: null });
    expect((await cli('policy', 'get', '--id', clientId)).json()).toBeNull();
  });

  it('set, get or clear of an unknown app → exit 2, "no client", nothing created', async () => {
    for (const argv of [
      ['set', '--id', 'ghost-app', '--file', await file(POLICY)],
      ['get', '--id', 'ghost-app'],
      ['clear', '--id', 'ghost-app'],
    ]) {
      const result = await cli('policy', ...argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('error: no client ghost-app\n');
      expect(result.stdout).toBe('');
    }
    expect(await storedItem('ghost-app')).toBeUndefined();
  });
});

describe('npm run client -- policy test (dry run)', () => {
  let clientId: string;
  beforeAll(async () => {
    clientId = await newClient();
    await admin.setPolicy(clientId, POLICY);
  });

  it('deny: a deny rule matches, with the trace', async () => {
    const body = JSON.stringify({ userId: 'u1', context: { country: 'KP' } });
    const result = await cli('policy', 'test', '--id', clientId, '--body', body);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      decision: 'deny',
      rule: 'no-kp',
      trace: [{ step: 'rule:no-kp', outcome: 'match: deny' }],
    });
  });

  it('exempt: a low-value payment of a new user (start body from --file)', async () => {
    const result = await cli(
      'policy',
      'test',
      '--id',
      clientId,
      '--file',
      await file(payment('12.00')),
    );
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      decision: 'exempt',
      exemption: 'low_value',
      trace: [
        { step: 'rule:no-kp', outcome: 'no match (country)' },
        { step: 'rule:large', outcome: 'no match (amount)' },
        { step: 'exemption:low_value', outcome: 'applies' },
      ],
    });
  });

  it('require: the same payment once the user has spent the low-value allowance (--state)', async () => {
    const state = await file({ sinceSca: { count: 5, cumulative: { EUR: '90.00' } } });
    const result = await cli(
      'policy',
      'test',
      '--id',
      clientId,
      '--file',
      await file(payment('12.00')),
      '--state',
      state,
    );
    expect(result.code).toBe(0);
    const decision = result.json();
    expect(decision).toMatchObject({ decision: 'require', level: 'mfa' });
    expect(decision.trace.at(-2)).toMatchObject({ step: 'exemption:low_value' });
    expect(decision.trace.at(-2).outcome).not.toBe('applies');
    expect(decision.trace.at(-1)).toEqual({ step: 'default', outcome: 'require mfa' });
  });

  it('require sca: a rule asks for it', async () => {
    const result = await cli(
      'policy',
      'test',
      '--id',
      clientId,
      '--body',
      JSON.stringify(payment('5000.00')),
    );
    expect(result.json()).toMatchObject({ decision: 'require', rule: 'large', level: 'sca' });
  });

  it('--policy FILE tests a document before it is set, without a table or a runtime', async () => {
    const own = process.env.MFA_RUNTIME_FILE;
    try {
      process.env.MFA_RUNTIME_FILE = path.join(dir, 'no-runtime.json');
      const start = JSON.stringify({ userId: 'u1', context: { country: 'IR' } });
      const policy = await file(defaultPolicy());
      const result = await cli('policy', 'test', '--policy', policy, '--body', start);
      expect(result.code).toBe(0);
      expect(result.json()).toMatchObject({ decision: 'deny', rule: SANCTIONED_RULE_ID });
      const bad = await cli('policy', 'test', '--policy', await file(TYPO), '--body', start);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('invalid_policy at rules.0.if.contry');
    } finally {
      process.env.MFA_RUNTIME_FILE = own;
    }
  });

  it('remembered device: the state holds the device as the service stores it', async () => {
    const policy = await file({
      ...POLICY,
      exemptions: { rememberedDevice: true },
      rememberDevice: { days: 30 },
    });
    const now = Math.floor(Date.now() / 1000);
    const state = await file({ rememberedDevices: { [deviceRef('laptop-1')]: now - 86_400 } });
    const body = JSON.stringify({ userId: 'u1', context: { deviceId: 'laptop-1' } });
    const result = await cli(
      'policy',
      'test',
      '--policy',
      policy,
      '--body',
      body,
      '--state',
      state,
    );
    expect(result.json()).toMatchObject({ decision: 'exempt', exemption: 'remembered_device' });
  });

  it('an app without a policy: today’s behaviour, require mfa', async () => {
    const bare = await newClient();
    const result = await cli('policy', 'test', '--id', bare, '--body', '{"userId":"u1"}');
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      decision: 'require',
      level: 'mfa',
      trace: [{ step: 'default', outcome: 'no policy: require mfa' }],
    });
    expect(result.stderr).toContain('evaluated with none');
  });

  it('a start body the API would refuse → exit 1 with its problem', async () => {
    const body = JSON.stringify({ userId: 'u1', context: { country: 'kp' } });
    const result = await cli('policy', 'test', '--id', clientId, '--body', body);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid_request');
    expect(result.stderr).toContain('context.country: must be an ISO 3166 alpha-2 code');
  });

  it('a state file of the wrong shape → exit 1', async () => {
    const state = await file({ sinceSCA: {} });
    const result = await cli(
      'policy',
      'test',
      '--id',
      clientId,
      '--body',
      '{"userId":"u"}',
      '--state',
      state,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sinceSCA is not a known field');
  });
});

describe('policy usage errors', () => {
  it.each([
    [['policy']],
    [['policy', 'frob']],
    [['policy', 'set', '--file', 'p.json']],
    [['policy', 'set', '--id', 'a']],
    [['policy', 'get']],
    [['policy', 'get', '--id', 'a', '--file', 'p.json']],
    [['policy', 'clear', '--id', 'a', '--state', 's.json']],
    [['policy', 'test', '--body', '{}']],
    [['policy', 'test', '--id', 'a', '--policy', 'p.json', '--body', '{}']],
    [['policy', 'test', '--id', 'a']],
    [['policy', 'test', '--id', 'a', '--file', 's.json', '--body', '{}']],
    [['policy', 'get', '--id', 'a', 'extra']],
    [['policy', 'get', '--id', 'a', '--name', 'n']],
    [['list', '--file', 'p.json']],
    [['delete', '--id', 'a', '--policy', 'p.json']],
  ])('%j → exit 1, usage on stderr, nothing on stdout', async (argv) => {
    const result = await cli(...argv);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .+\n\nUsage: npm run client/);
    expect(result.stderr).toContain('policy test (--id ID | --policy FILE)');
    expect(result.stdout).toBe('');
  });

  it('the script itself: a dry run prints JSON, an invalid policy exits 1', async () => {
    const run = (...argv: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/client.ts', ...argv], {
        cwd: root,
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const start = JSON.stringify({ userId: 'u1', context: { country: 'KP' } });
    const ok = await run(
      'policy',
      'test',
      '--policy',
      await file(defaultPolicy()),
      '--body',
      start,
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ decision: 'deny' });
    const bad = await run('policy', 'set', '--id', 'x', '--file', await file(TYPO));
    expect(bad.code).toBe(1);
  });
});
