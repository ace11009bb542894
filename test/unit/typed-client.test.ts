import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  type FetchLike,
  MfaClient,
  type ServiceErrorCode,
  type StartAuthnResult,
  type VerifyResult,
} from '../../client/index.js';
import { parseBasicAuth } from '../../shared/domain/client-secret.js';
import type { ErrorCode } from '../../shared/errors.js';
import { router, routes } from '../../shared/routes.js';

/** The typed client's requests (method, path encoding, headers, body), with no network. */
const BASE = 'https://api.example/live/';
const SECRET = 'demo-secret';
const TOKEN = 'eyJ.user-mfa.token';
const STATE = { stateToken: 'st_0123456789abcdef' };
// Valid for the service (`@`, `:`, `.`), each %-encoded but `.`.
const USER = 'jane.doe@example.com:42';
const USER_PATH = 'jane.doe%40example.com%3A42';

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

const answer = (status: number, body?: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
  });

const recording = (respond: () => Response = () => answer(200, {})) => {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (url, init) => {
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    sent.push({
      url,
      method: init.method ?? 'GET',
      headers: { ...(init.headers as Record<string, string>) },
      ...(body === undefined ? {} : { body }),
    });
    return respond();
  };
  const client = new MfaClient({ baseUrl: BASE, clientId: 'demo', clientSecret: SECRET, fetch });
  return { sent, client };
};

type Case = [
  name: string,
  call: (client: MfaClient) => Promise<unknown>,
  expected: { method: string; path: string; body?: unknown; mfaToken?: boolean; auth?: false },
];

const CASES: Case[] = [
  [
    'enrollFactor',
    (c) => c.enrollFactor(USER, { type: 'email', email: 'a@b.example' }, { mfaToken: TOKEN }),
    {
      method: 'POST',
      path: `/v1/users/${USER_PATH}/factors`,
      body: { type: 'email', email: 'a@b.example' },
      mfaToken: true,
    },
  ],
  [
    'activateFactor',
    (c) => c.activateFactor(USER, 'email_abc', { passCode: '123456' }),
    {
      method: 'POST',
      path: `/v1/users/${USER_PATH}/factors/email_abc/activate`,
      body: { passCode: '123456' },
    },
  ],
  [
    'resendActivation',
    (c) => c.resendActivation(USER, 'sms_abc', { mfaToken: TOKEN }),
    {
      method: 'POST',
      path: `/v1/users/${USER_PATH}/factors/sms_abc/resend`,
      body: {},
      mfaToken: true,
    },
  ],
  [
    'listFactors',
    (c) => c.listFactors(USER),
    { method: 'GET', path: `/v1/users/${USER_PATH}/factors` },
  ],
  [
    'deleteFactor',
    (c) => c.deleteFactor(USER, 'totp_abc', { mfaToken: TOKEN }),
    { method: 'DELETE', path: `/v1/users/${USER_PATH}/factors/totp_abc`, mfaToken: true },
  ],
  [
    'startAuthn',
    (c) => c.startAuthn({ userId: USER, context: { primaryAuth: 'knowledge' } }),
    {
      method: 'POST',
      path: '/v1/authn',
      body: { userId: USER, context: { primaryAuth: 'knowledge' } },
    },
  ],
  [
    'challenge',
    (c) => c.challenge('sms_abc', STATE),
    { method: 'POST', path: '/v1/authn/factors/sms_abc/challenge', body: STATE },
  ],
  [
    'verify',
    (c) => c.verify('sms_abc', { ...STATE, passCode: '123456' }),
    {
      method: 'POST',
      path: '/v1/authn/factors/sms_abc/verify',
      body: { ...STATE, passCode: '123456' },
    },
  ],
  ['cancel', (c) => c.cancel(STATE), { method: 'POST', path: '/v1/authn/cancel', body: STATE }],
  ['status', (c) => c.status(STATE), { method: 'POST', path: '/v1/authn/status', body: STATE }],
  [
    'listTrustedPayees',
    (c) => c.listTrustedPayees(USER, { mfaToken: TOKEN }),
    { method: 'GET', path: `/v1/users/${USER_PATH}/trusted-payees`, mfaToken: true },
  ],
  [
    'addTrustedPayee',
    (c) =>
      c.addTrustedPayee(USER, { payeeAccount: 'DE89 3704', payee: 'ACME' }, { mfaToken: TOKEN }),
    {
      method: 'POST',
      path: `/v1/users/${USER_PATH}/trusted-payees`,
      body: { payeeAccount: 'DE89 3704', payee: 'ACME' },
      mfaToken: true,
    },
  ],
  [
    'removeTrustedPayee',
    (c) => c.removeTrustedPayee(USER, 'GB/29:NWBK', { mfaToken: TOKEN }),
    {
      method: 'DELETE',
      path: `/v1/users/${USER_PATH}/trusted-payees/GB%2F29%3ANWBK`,
      mfaToken: true,
    },
  ],
  ['jwks', (c) => c.jwks(), { method: 'GET', path: '/.well-known/jwks.json', auth: false }],
  [
    'openidConfiguration',
    (c) => c.openidConfiguration(),
    { method: 'GET', path: '/.well-known/openid-configuration', auth: false },
  ],
];

describe('MfaClient requests', () => {
  it.each(CASES)(
    '%s: method, %-encoded path under the base URL, headers, JSON body',
    async (_, call, expected) => {
      const { sent, client } = recording(() =>
        answer(
          expected.method === 'DELETE' ? 204 : 200,
          expected.method === 'DELETE' ? undefined : { ok: true },
        ),
      );
      await call(client);
      expect(sent).toHaveLength(1);
      const [request] = sent;
      expect(request?.method).toBe(expected.method);
      expect(request?.url).toBe(`https://api.example/live${expected.path}`);
      expect(request?.body).toEqual(expected.body);
      expect(request?.headers).toEqual({
        accept: 'application/json, application/problem+json',
        ...(expected.auth === false ? {} : { authorization: 'Basic ZGVtbzpkZW1vLXNlY3JldA==' }),
        ...(expected.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(expected.mfaToken ? { 'x-mfa-token': TOKEN } : {}),
      });
    },
  );

  it('has a method for every app-facing route, and the service decodes each path back to its parameters', async () => {
    const served = new Set<string>();
    for (const [, call, expected] of CASES) {
      const { sent, client } = recording(() => answer(200, {}));
      await call(client);
      const url = new URL(sent[0]?.url ?? '');
      const { match } = router.match(expected.method, url.pathname.replace(/^\/live/, ''));
      expect(match, `${expected.method} ${url.pathname}`).toBeDefined();
      served.add(`${match?.route.method} ${match?.route.path}`);
      for (const value of Object.values(match?.pathParameters ?? {})) {
        expect([USER, 'email_abc', 'sms_abc', 'totp_abc', 'GB/29:NWBK']).toContain(value);
      }
    }
    const appFacing = routes
      .filter((route) => route.auth === 'client' || route.path.startsWith('/.well-known/'))
      .map((route) => `${route.method} ${route.path}`);
    expect([...served].sort()).toEqual(appFacing.sort());
  });

  it('keeps `/ ? # %` inside one segment; refuses "." and ".." (URL parsing drops them) and a token with a line break, sending nothing', async () => {
    const { sent, client } = recording(() => answer(200, { factors: [] }));
    await client.listFactors('a/b?c#d%e');
    expect(sent[0]?.url).toBe('https://api.example/live/v1/users/a%2Fb%3Fc%23d%25e/factors');
    for (const userId of ['.', '..', '']) {
      await expect(client.listFactors(userId)).rejects.toMatchObject({
        name: 'MfaApiError',
        status: 0,
        code: 'invalid_argument',
      });
    }
    const header = client.deleteFactor('u', 'sms_1', { mfaToken: 'eyJ.a\r\nx-evil: 1' });
    await expect(header).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(sent).toHaveLength(1);
  });

  it('sends Basic credentials as UTF-8 (RFC 7617), as the service parses them', async () => {
    const secret = 'pässwörd-€-🔑:x';
    const fetch = vi.fn<FetchLike>(async () => answer(200, { factors: [] }));
    await new MfaClient({
      baseUrl: BASE,
      clientId: 'app_1',
      clientSecret: secret,
      fetch,
    }).listFactors('u');
    const init = fetch.mock.calls[0]?.[1];
    const header = (init?.headers as Record<string, string> | undefined)?.authorization;
    expect(parseBasicAuth(header)).toEqual({ clientId: 'app_1', clientSecret: secret });
  });

  it('resolves to the JSON body; a DELETE (204) to undefined', async () => {
    const body = { status: 'CANCELLED', extra: 'added later' };
    expect(await recording(() => answer(200, body)).client.cancel(STATE)).toEqual(body);
    expect(await recording(() => answer(204)).client.deleteFactor('u', 'sms_1')).toBeUndefined();
  });

  it('refuses a bad configuration at once', () => {
    const ok = { baseUrl: BASE, clientId: 'demo', clientSecret: SECRET };
    for (const bad of [
      { baseUrl: 'localhost:3000' },
      { baseUrl: 'ftp://api.example' },
      { baseUrl: 'https://api.example/?stage=1' },
      // Credentials in the URL would show in a fetch error; plain HTTP off this machine would
      // carry the client secret in the clear.
      { baseUrl: 'https://:hunter2@api.example/' },
      { baseUrl: 'http://api.example/' },
      { baseUrl: 'http://10.0.0.7:3000/' },
      { clientId: 'a:b' },
      { clientId: '' },
      { clientSecret: '' },
      { timeoutMs: -1 },
    ]) {
      expect(() => new MfaClient({ ...ok, ...bad }), JSON.stringify(bad)).toThrow(TypeError);
    }
    for (const local of ['http://localhost:3000', 'http://127.0.0.1:3000/', 'http://[::1]:3000']) {
      expect(() => new MfaClient({ ...ok, baseUrl: local }), local).not.toThrow();
    }
    const elsewhere = { ...ok, baseUrl: 'http://localstack:4566/', allowInsecureHttp: true };
    expect(() => new MfaClient(elsewhere)).not.toThrow();
  });

  it('refuses an answer over 1 MiB without reading the rest: invalid_response', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(64 * 1024).fill(32));
      },
    });
    const fetch: typeof globalThis.fetch = async () =>
      new Response(endless, { status: 200, headers: { 'content-type': 'application/json' } });
    const client = new MfaClient({ baseUrl: BASE, clientId: 'demo', clientSecret: SECRET, fetch });
    await expect(client.listFactors('u1')).rejects.toMatchObject({
      code: 'invalid_response',
      status: 200,
    });
    expect(pulled).toBeLessThan(20); // 17 chunks of 64 KiB pass 1 MiB
  });

  it('reads an injected fetch whose body is no web stream (node-fetch) by its text, bounded too', async () => {
    const nodeFetchLike = (text: string, headers: Record<string, string> = {}) =>
      (async () =>
        ({
          status: 200,
          headers: new Headers({ 'content-type': 'application/json', ...headers }),
          body: { pipe() {} }, // a Node stream, not a ReadableStream
          text: async () => text,
        }) as unknown as Response) as typeof globalThis.fetch;
    const ok = new MfaClient({
      baseUrl: BASE,
      clientId: 'demo',
      clientSecret: SECRET,
      fetch: nodeFetchLike('{"factors":[]}'),
    });
    await expect(ok.listFactors('u1')).resolves.toEqual({ factors: [] });
    for (const fetch of [
      nodeFetchLike(`{"factors":[],"pad":"${'x'.repeat(1024 * 1024)}"}`),
      nodeFetchLike('{}', { 'content-length': String(2 * 1024 * 1024) }),
    ]) {
      const big = new MfaClient({ baseUrl: BASE, clientId: 'demo', clientSecret: SECRET, fetch });
      await expect(big.listFactors('u1')).rejects.toMatchObject({ code: 'invalid_response' });
    }
  });

  it('never shows the secret: not in inspect, JSON or keys of the client', () => {
    const { client } = recording();
    expect(inspect(client, { showHidden: true, depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify(client)).not.toContain(SECRET);
    expect(Object.keys(client)).toEqual([]);
  });

  it('uses no Node API: no node: import, Buffer or process in client/', () => {
    const folder = path.resolve(import.meta.dirname, '../../client');
    const sources = readdirSync(folder).filter((file) => file.endsWith('.ts'));
    expect(sources.length).toBeGreaterThanOrEqual(5);
    for (const file of sources) {
      const text = readFileSync(path.join(folder, file), 'utf8');
      expect(text, file).not.toMatch(/from ['"]node:|\bBuffer\b|\bprocess\.|\brequire\(|console\./);
    }
  });
});

describe('MfaClient types', () => {
  it('knows every code of the service; narrows answers by status', async () => {
    expectTypeOf<ServiceErrorCode>().toEqualTypeOf<ErrorCode>();
    // Checked by the compiler only: the bodies never run.
    const narrowStart = (started: StartAuthnResult) => {
      if (started.status === 'MFA_REQUIRED') {
        expectTypeOf(started.stateToken).toBeString();
        expectTypeOf(started.requirement.level).toEqualTypeOf<'mfa' | 'sca'>();
      }
      if (started.status === 'SUCCESS') expectTypeOf(started.exemption).toBeString();
      if (started.status === 'MFA_ENROLL')
        expectTypeOf(started.factors).toEqualTypeOf<readonly []>();
    };
    const narrowVerify = (verified: VerifyResult) => {
      if (verified.status === 'SUCCESS') expectTypeOf(verified.token).toBeString();
      else expectTypeOf(verified.stateToken).toBeString();
    };
    expect([narrowStart, narrowVerify]).toHaveLength(2);
    const { client } = recording();
    // @ts-expect-error trusted payees change only with the user's SCA token
    const unsigned = client.addTrustedPayee('u', { payeeAccount: 'a', payee: 'b' });
    await expect(unsigned).resolves.toEqual({});
  });
});
