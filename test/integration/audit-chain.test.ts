import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../scripts/audit.js';
import { checkChain, type Detail } from '../../shared/domain/audit-chain.js';
import { parsePolicy } from '../../shared/domain/policy/index.js';
import { userRef } from '../../shared/domain/state-token.js';
import {
  activeFactor,
  challenge,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  unique,
  verify,
  wrongCode,
} from '../support/flows.js';
import { postJson, registerClient, startTestRuntime } from '../support/local.js';

/**
 * The audit chain (API.md "Audit chain"): every event of a user carries `type`, `seq` and
 * `hash`; the chain holds through every step and under concurrency, and `npm run audit --
 * verify` finds each kind of tampering, from the local runtime or an audit log group.
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

/** As events name the user (`userRef`, the SHA-256 of the id). */
const ref = userRef;
const owner = (userId: string) => ({ clientId: 'demo', userRef: ref(userId) });

interface BusEvent {
  readonly detailType: string;
  readonly detail: Detail & { seq: number; hash: string; type: string };
}
const chainOf = async (userId: string): Promise<BusEvent[]> =>
  (
    await json(
      await fetch(`${base}/_local/events?${new URLSearchParams(owner(userId)).toString()}`),
    )
  ).events;

/** The CLI's exit code and output. */
const audit = async (args: string[], logs?: (region?: string) => CloudWatchLogsClient) => {
  const out = { stdout: '', stderr: '' };
  const code = await runAudit(
    args,
    {
      stdout: (text) => {
        out.stdout += text;
      },
      stderr: (text) => {
        out.stderr += text;
      },
    },
    logs,
  );
  return { code, ...out };
};

/** A user with an email factor, one transaction failed once then approved, one cancelled. */
const userWithHistory = async () => {
  const userId = unique('chain');
  const email = `${userId}@example.com`;
  const factorId = await activeFactor(base, userId, 'email', email);
  const first = await startAuthn(base, { userId });
  expect((await challenge(base, first.stateToken, factorId)).status).toBe(200);
  const code = await lastCode(base, email);
  await expectProblem(
    await verify(base, first.stateToken, factorId, wrongCode(code)),
    401,
    'invalid_passcode',
  );
  const approved = await verify(base, first.stateToken, factorId, code);
  expect(approved.status).toBe(200);
  const { receipt } = await json(approved);
  const second = await startAuthn(base, { userId });
  expect((await postJson(base, '/v1/authn/cancel', { stateToken: second.stateToken })).status).toBe(
    200,
  );
  return { userId, factorId, receipt: receipt as string };
};

describe('the audit chain', () => {
  it('every step of a user joins one chain: seq 1..N in order, each hash from the one before', async () => {
    const { userId } = await userWithHistory();
    const chain = await chainOf(userId);
    expect(chain.map((event) => [event.detail.seq, event.detail.type])).toEqual([
      [1, 'mfa.factor.enrolled'],
      [2, 'mfa.factor.activated'],
      [3, 'mfa.authn.started'],
      [4, 'mfa.challenge.sent'],
      [5, 'mfa.authn.failed'],
      [6, 'mfa.authn.succeeded'],
      [7, 'mfa.authn.started'],
      [8, 'mfa.authn.cancelled'],
    ]);
    // Each event's type is its detail-type.
    for (const event of chain) expect(event.detail.type).toBe(event.detailType);
    expect(
      checkChain(
        chain.map((e) => e.detail),
        owner(userId),
      ),
    ).toMatchObject({
      ok: true,
      count: 8,
    });
  });

  it('`npm run audit -- verify` against the local runtime: ok N events, exit 0', async () => {
    const { userId, receipt } = await userWithHistory();
    const ok = await audit(['verify', '--app', 'demo', '--user', userId, '--url', base]);
    // The receipt's place (seq 6, mfa.authn.succeeded) anchors the chain.
    const dir = mkdtempSync(path.join(tmpdir(), 'audit-'));
    const file = path.join(dir, 'receipt.jwt');
    writeFileSync(file, receipt);
    const args = ['verify', '--app', 'demo', '--user', userId, '--url', base, '--receipt', file];
    const anchored = await audit(args);
    expect(anchored.code).toBe(0);
    expect(anchored.stdout).toMatch(/^ok 8 events \(head seq 8, hash [A-Za-z0-9_-]{43}\)\n$/);
    const [header, payload, signature] = receipt.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const forged = {
      ...claims,
      audit: {
        ...claims.audit,
        hash: claims.audit.hash.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')),
      },
    };
    writeFileSync(
      file,
      `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`,
    );
    expect(await audit(args)).toMatchObject({
      code: 1,
      stdout: 'break at seq 6: anchor missing\n',
    });
    // Pointed at another event of the user (its true place and hash): not this receipt's.
    const events = (
      await json(
        await fetch(
          `${base}/_local/events?${new URLSearchParams({ clientId: 'demo', userRef: ref(userId) })}`,
        ),
      )
    ).events as BusEvent[];
    const first = events.find((event) => event.detail.seq === 1);
    const elsewhere = { ...claims, audit: { seq: 1, hash: first?.detail.hash } };
    writeFileSync(
      file,
      `${header}.${Buffer.from(JSON.stringify(elsewhere)).toString('base64url')}.${signature}`,
    );
    expect(await audit(args)).toMatchObject({
      code: 1,
      stdout: "break at seq 1: anchor not the receipt's event\n",
    });
    // At its own place, but claiming a payment its transaction never had.
    const paying = {
      ...claims,
      authorization_details: [
        {
          type: 'payment_initiation',
          instructedAmount: { amount: '99999.00', currency: 'EUR' },
          creditorName: 'Mallory Ltd',
        },
      ],
    };
    writeFileSync(
      file,
      `${header}.${Buffer.from(JSON.stringify(paying)).toString('base64url')}.${signature}`,
    );
    expect(await audit(args)).toMatchObject({
      code: 1,
      stdout: "break at seq 6: anchor not the receipt's event\n",
    });
    writeFileSync(file, 'not a receipt');
    expect((await audit(args)).code).toBe(2);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(
      /^ok 8 events \(head seq 8, hash [A-Za-z0-9_-]{43}; unanchored: [^\n]+ --head or --receipt\)\n$/,
    );
    // A user with no events: nothing to vouch for.
    const none = await audit([
      'verify',
      '--app',
      'demo',
      '--user',
      unique('nobody'),
      '--url',
      base,
    ]);
    expect(none).toMatchObject({ code: 1, stdout: 'break at seq 1: empty\n' });
  });

  it('usage errors and an unreachable source exit 2 with a message, never a stack trace', async () => {
    expect((await audit(['verify', '--user', 'u'])).code).toBe(2);
    expect((await audit(['verify', '--app', 'demo'])).code).toBe(2);
    expect((await audit(['check', '--app', 'demo', '--user', 'u'])).code).toBe(2);
    const down = await audit([
      'verify',
      '--app',
      'demo',
      '--user',
      'u',
      '--url',
      'http://127.0.0.1:9',
    ]);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^error: the events could not be read: /);
    expect(down.stderr).not.toMatch(/\n\s+at /);
    expect((await audit(['--help'])).stdout).toContain('Usage: npm run audit -- verify');
  });

  it('concurrent steps of one user never fork the chain: 24 at once, seq 1..N with no gap', async () => {
    const userId = unique('race');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    const open: { stateToken: string; code: string }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const started = await startAuthn(base, { userId });
      expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
      open.push({ stateToken: started.stateToken, code: await lastCode(base, email) });
    }
    const steps = open.flatMap(({ stateToken, code }) => [
      verify(base, stateToken, factorId, wrongCode(code)),
      verify(base, stateToken, factorId, wrongCode(code)),
      verify(base, stateToken, factorId, code),
      postJson(base, '/v1/authn/cancel', { stateToken }),
      postJson(base, '/v1/authn', { userId }),
      postJson(base, '/v1/authn', { userId }),
    ]);
    const answers = await Promise.all(steps);
    // Every step answered as the API says: done, a wrong code, or too late for this one.
    for (const answer of answers) expect([200, 401, 403, 409]).toContain(answer.status);
    const chain = (await chainOf(userId)).map((event) => event.detail);
    const check = checkChain(chain, owner(userId));
    expect(check).toMatchObject({ ok: true, count: chain.length });
    // Each started transaction and each answered step is in it: the 8 starts, 4 sends, ...
    const types = chain.map((detail) => detail.type);
    expect(types.filter((t) => t === 'mfa.authn.started')).toHaveLength(4 + 8);
    const wrong = answers.filter((a) => a.status === 401).length;
    expect(types.filter((t) => t === 'mfa.authn.failed')).toHaveLength(wrong);
    expect(new Set(chain.map((d) => d.seq)).size).toBe(chain.length);
    // The user item keeps a short log: the read-first writes fold it into the head.
    expect((await audit(['verify', '--app', 'demo', '--user', userId, '--url', base])).code).toBe(
      0,
    );
  });
});

/**
 * A stand-in for the CloudWatch Logs API (JSON 1.1, `Logs_20140328.FilterLogEvents`) serving
 * the given EventBridge events as the audit log group holds them, two per page.
 */
const logGroupEndpoint = async (messages: () => object[]) => {
  const asked: Record<string, unknown>[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const input = JSON.parse(body) as { nextToken?: string };
      asked.push({ target: request.headers['x-amz-target'], ...input });
      const from = Number(input.nextToken ?? 0);
      const page = messages().slice(from, from + 2);
      const next = from + 2 < messages().length ? String(from + 2) : undefined;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          events: page.map((message, i) => ({
            eventId: `log-${from + i}`,
            timestamp: Date.now(),
            message: JSON.stringify(message),
          })),
          ...(next ? { nextToken: next } : {}),
        }),
      );
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const client = () =>
    new CloudWatchLogsClient({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  return { client, asked, close: () => new Promise((done) => server.close(done)) };
};

describe('`npm run audit -- verify --log-group` finds every kind of tampering', () => {
  let events: BusEvent[];
  let other: BusEvent[];
  let userId: string;
  let served: BusEvent[] = [];
  let endpoint: Awaited<ReturnType<typeof logGroupEndpoint>>;

  beforeAll(async () => {
    ({ userId } = await userWithHistory());
    events = await chainOf(userId);
    other = await chainOf((await userWithHistory()).userId);
    // As the EventBridge rule's CloudWatch Logs target writes them: the whole event.
    endpoint = await logGroupEndpoint(() =>
      served.map((event) => ({
        version: '0',
        'detail-type': event.detailType,
        source: 'mfa.service',
        detail: event.detail,
      })),
    );
  });
  afterAll(async () => {
    await endpoint?.close();
  });

  const verifyServed = async (chain: BusEvent[]) => {
    served = chain;
    endpoint.asked.length = 0;
    return audit(
      [
        'verify',
        '--app',
        'demo',
        '--user',
        userId,
        '--log-group',
        '/mfa/audit',
        '--region',
        'eu-west-1',
      ],
      endpoint.client,
    );
  };
  const edited = (i: number, change: Record<string, unknown>) =>
    events.map((event, j) =>
      j === i ? { ...event, detail: { ...event.detail, ...change } } : event,
    );

  it('the untouched chain: ok, read page by page with progress on stderr', async () => {
    const ok = await verifyServed(events);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok 8 events /);
    // No --head or --receipt: consistent is all it can say (the hashes have no key).
    expect(ok.stdout).toContain('; unanchored: consistent, but a chain rewritten or cut');
    expect(ok.stderr.trim().split('\n')).toEqual([
      'read 1 page, 2 events',
      'read 2 pages, 4 events',
      'read 3 pages, 6 events',
      'read 4 pages, 8 events',
    ]);
    expect(endpoint.asked[0]).toMatchObject({
      target: 'Logs_20140328.FilterLogEvents',
      logGroupName: '/mfa/audit',
      filterPattern: `{ ($.detail.clientId = "demo") && ($.detail.userRef = "${ref(userId)}") }`,
    });
    expect(endpoint.asked.slice(1).map((a) => a.nextToken)).toEqual(['2', '4', '6']);
  });

  it('an event the log group holds twice (delivered at least once) counts once', async () => {
    const twice = await verifyServed([...events, events[3] as BusEvent, events[5] as BusEvent]);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toMatch(/^ok 8 events /);
  });

  const cases: [string, () => BusEvent[], string][] = [
    [
      'one field of one event edited',
      () => edited(4, { attemptsRemaining: 5 }),
      'break at seq 5: wrong hash (mfa.authn.failed',
    ],
    ['one event dropped', () => events.filter((_, i) => i !== 3), 'break at seq 4: gap'],
    [
      'two events swapped',
      () =>
        edited(5, { seq: 7 }).map((e, i) =>
          i === 6 ? { ...e, detail: { ...e.detail, seq: 6 } } : e,
        ),
      'break at seq 6: wrong hash (mfa.authn.started',
    ],
    [
      "another user's event spliced in",
      () => [...events.slice(0, 2), other[2] as BusEvent, ...events.slice(3)],
      'break at seq 3: another user (mfa.authn.started',
    ],
  ];
  for (const [name, tampered, found] of cases) {
    it(`${name}: the first break, exit 1`, async () => {
      const result = await verifyServed(tampered());
      expect(result.code).toBe(1);
      expect(result.stdout.startsWith(found)).toBe(true);
    });
  }
});

describe('a payment receipt through the audit CLI', () => {
  it('a genuine one holds; one saying another payee account (same last 4) or factor does not', async () => {
    const userId = unique('chain-pay');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    const payment = {
      amount: '42.50',
      currency: 'EUR',
      payee: 'Corner Shop',
      payeeAccount: 'GB33BUKB20201555555555',
    };
    const started = await startAuthn(base, { userId, transaction: payment, consentId: 'c-9' });
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
    const approved = await verify(base, started.stateToken, factorId, await lastCode(base, email));
    expect(approved.status).toBe(200);
    const { receipt } = (await json(approved)) as { receipt: string };
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'audit-')), 'receipt.jwt');
    const args = ['verify', '--app', 'demo', '--user', userId, '--url', base, '--receipt', file];
    writeFileSync(file, receipt);
    expect(await audit(args)).toMatchObject({ code: 0, stderr: '' });
    const [header, payload, signature] = receipt.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const edits = [
      { payee_account: 'GB99EVIL00000000005555' },
      { factors: claims.factors.map((f: object) => ({ ...f, type: 'webauthn' })) },
      { policy: { decision: 'require', rule: 'another' } },
      {
        authorization_details: [
          ...claims.authorization_details,
          {
            type: 'payment_initiation',
            instructedAmount: { amount: '1.00', currency: 'EUR' },
            creditorName: 'Evil',
          },
        ],
      },
      { acr: 'sca' },
      { iat: claims.iat - 3600 },
    ];
    for (const edit of edits) {
      const forged = Buffer.from(JSON.stringify({ ...claims, ...edit })).toString('base64url');
      writeFileSync(file, `${header}.${forged}.${signature}`);
      expect(await audit(args), JSON.stringify(edit)).toMatchObject({
        code: 1,
        stdout: `break at seq ${claims.audit.seq}: anchor not the receipt's event\n`,
      });
    }
  });
});

describe('an exempt start is in the chain too, and its receipt names its event', () => {
  it('the receipt audit member is the start event (seq, hash)', async () => {
    const clientId = unique('exempt-app');
    const auth = await registerClient(
      clientId,
      'exempt-secret-1',
      parsePolicy(
        '{"version":1,"rules":[{"id":"all","if":{"riskScore":{"lte":100}},"then":"exempt"}]}',
      ),
    );
    const userId = unique('exempt-chain');
    const started = await json(
      await postJson(base, '/v1/authn', { userId, context: { riskScore: 1 } }, auth),
    );
    expect(started.status).toBe('SUCCESS');
    const [event, ...more] = (
      await json(
        await fetch(
          `${base}/_local/events?${new URLSearchParams({ clientId, userRef: ref(userId) })}`,
        ),
      )
    ).events as BusEvent[];
    expect(more).toEqual([]);
    const claims = JSON.parse(Buffer.from(started.receipt.split('.')[1], 'base64url').toString());
    expect(event?.detail).toMatchObject({ type: 'mfa.authn.started', seq: 1, status: 'SUCCESS' });
    expect(claims.audit).toEqual({ seq: 1, hash: event?.detail.hash });
    // The audit CLI finds the receipt's exempt start there, saying what the receipt says.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'audit-')), 'receipt.jwt');
    writeFileSync(file, started.receipt);
    const args = ['verify', '--app', clientId, '--user', userId, '--url', base, '--receipt', file];
    expect(await audit(args)).toMatchObject({ code: 0, stderr: '' });
  });
});
