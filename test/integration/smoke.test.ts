import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmoke } from '../../scripts/smoke.js';
import { CLIENT, startTestRuntime } from '../support/local.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
const servers: Server[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await runtime?.close();
});

const listen = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const smoke = async (options: Partial<Parameters<typeof runSmoke>[0]> = {}) => {
  const lines: string[] = [];
  const result = await runSmoke({
    baseUrl: runtime.url,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    print: (line) => lines.push(line),
    ...options,
  });
  return { result, lines };
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const EMAIL_STEPS = [
  'health',
  'enroll email factor',
  'read activation code',
  'activate factor',
  'start authn (payment)',
  'challenge email factor',
  'read challenge code',
  'verify code',
  'openid configuration',
  'jwks',
  'verify token signature and claims',
  'GET /demo/dogs with the token',
  'GET /demo/cats with the fresh token',
  'GET /demo/dogs without a token',
];

describe('npm run smoke against the local runtime', () => {
  it('passes every step of the email flow, one ✓ line per step', async () => {
    const { result, lines } = await smoke();
    expect(result.failed).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.steps.map((step) => step.name)).toEqual(EMAIL_STEPS);
    expect(lines).toEqual(
      EMAIL_STEPS.map((name) => expect.stringMatching(`^✓ ${escapeRegExp(name)} \\(\\d+ ms\\)$`)),
    );
    expect(lines.join('\n')).not.toContain(CLIENT.secret);
  });

  it('passes with a TOTP factor, codes computed from the enrollment secret', async () => {
    const { result } = await smoke({ factor: 'totp' });
    expect(result.failed).toBeUndefined();
    expect(result.steps.map((step) => step.name)).toEqual([
      'health',
      'enroll totp factor',
      'activate factor',
      'start authn (payment)',
      'challenge totp factor',
      ...EMAIL_STEPS.slice(7),
    ]);
  });

  it('reads codes from a LocalStack-shaped SES store with --localstack', async () => {
    // LocalStack's documented /_aws/ses shape, fed from the runtime's outbox; a decoy for
    // another recipient comes last, so matching on the recipient is what finds the code.
    const requests: string[] = [];
    const sesStore = await listen((req, res) => {
      requests.push(req.url ?? '');
      const messages = runtime.outbox.list().map((message) => ({
        Id: 'id',
        Source: 'no-reply@mfa.example.com',
        Destination: { ToAddresses: [message.to] },
        Subject: message.subject,
        Body: { text_part: message.body, html_part: null },
      }));
      const decoy = {
        Destination: { ToAddresses: ['other@example.com'] },
        Body: { text_part: '000000' },
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messages: [...messages, decoy] }));
    });
    // LocalStack's API URL: plain http to this machine under a name of its own (no DNS
    // here, so this test's fetch sends that name to the runtime).
    const localStackHost = 'mfa.execute-api.localhost.localstack.cloud';
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) =>
      realFetch(String(input).replace(localStackHost, '127.0.0.1'), init);
    const port = new URL(runtime.url).port;
    const { result } = await smoke({
      localstack: true,
      outboxUrl: sesStore,
      baseUrl: `http://${localStackHost}:${port}`,
    }).finally(() => {
      globalThis.fetch = realFetch;
    });
    expect(result.failed).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.every((url) => url === '/_aws/ses')).toBe(true);
  });

  it('a wrong client secret fails at the first /v1 step, naming it', async () => {
    const { result, lines } = await smoke({ clientSecret: 'wrong-secret' });
    expect(result.ok).toBe(false);
    expect(result.failed).toEqual({
      step: 'enroll email factor',
      reason: expect.stringContaining('got 401 invalid_client'),
    });
    expect(result.steps.map((step) => step.name)).toEqual(['health']);
    expect(lines.at(-1)).toBe(`✗ enroll email factor: ${result.failed?.reason}`);
  });

  it('bounds each request: a server that never answers fails the step after the timeout', async () => {
    const silent = await listen(() => {});
    const started = Date.now();
    const { result } = await smoke({ baseUrl: silent, requestTimeoutMs: 300 });
    expect(result.failed).toEqual({
      step: 'health',
      reason: expect.stringContaining('within 0.3 s'),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('bounds the whole run', async () => {
    const silent = await listen(() => {});
    const { result } = await smoke({ baseUrl: silent, totalTimeoutMs: 300 });
    expect(result.failed).toEqual({ step: 'health', reason: 'the whole run took too long' });
  });
});
