import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeFactor, enroll, expectProblem, json, startAuthn, unique } from '../support/flows.js';
import { basicAuth, startTestRuntime } from '../support/local.js';

/**
 * Hostile input over HTTP: prototype keys, deep nesting, invalid UTF-8, encoded slashes and
 * dots in path segments, sizes and media types. Never a 500; each answer pinned.
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

/**
 * A request sent byte for byte: node:http keeps the path as written (fetch would resolve
 * `%2E%2E` segments) and the body as given (invalid UTF-8 included).
 */
const raw = (
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) =>
  new Promise<Response>((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = request(
      { hostname, port, method, path, headers: { authorization: basicAuth(), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
          }
          const text = res.statusCode === 204 ? null : Buffer.concat(chunks);
          resolve(new Response(text, { status: res.statusCode, headers: responseHeaders }));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const answer = async (response: Response) => {
  const body = response.status === 204 ? {} : await json(response);
  return `${response.status} ${body.code ?? body.status ?? body.factor?.status ?? ''}`.trim();
};
const bytes = (...pieces: (string | number[])[]) =>
  Buffer.concat(pieces.map((piece) => Buffer.from(piece as string)));

describe('prototype keys in JSON bodies', () => {
  // USER stands for a fresh user id (test names stay the same from run to run).
  const id = unique('proto');
  it.each([
    [
      '/v1/authn',
      '{"userId":"USER","__proto__":{"userId":"victim","polluted":1}}',
      '200 MFA_ENROLL',
    ],
    ['/v1/authn', '{"__proto__":{"userId":"victim"}}', '400 invalid_request'],
    ['/v1/authn', '{"constructor":{"prototype":{"userId":"victim"}}}', '400 invalid_request'],
    [
      '/v1/authn',
      '{"userId":"USER","context":{"__proto__":{"country":"GB"},"constructor":{"prototype":{}}}}',
      '200 MFA_ENROLL',
    ],
    ['/v1/users/USER/factors', '{"__proto__":{"type":"totp"}}', '400 invalid_request'],
    [
      '/v1/users/USER/factors',
      '{"type":"totp","status":"ACTIVE","__proto__":{"status":"ACTIVE"}}',
      '201 PENDING_ACTIVATION',
    ],
    ['/v1/authn/status', `{"__proto__":{"stateToken":"${'x'.repeat(43)}"}}`, '400 invalid_request'],
  ])('POST %s %s → %s', async (path, body, expected) => {
    const response = await raw('POST', path.replace('USER', id), body.replace('USER', id));
    expect(await answer(response)).toBe(expected);
  });

  it('leave no trace: Object.prototype is clean and {} is still 400 (the runtime is in this process)', async () => {
    for (const name of ['polluted', 'userId', 'stateToken', 'type', 'status', 'country']) {
      expect(Object.hasOwn(Object.prototype, name), name).toBe(false);
    }
    await expectProblem(await raw('POST', '/v1/authn', '{}'), 400, 'invalid_request');
    expect(await answer(await raw('POST', '/v1/authn', `{"userId":"${unique('after')}"}`))).toBe(
      '200 MFA_ENROLL',
    );
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])(
    'user id %s is an ordinary user',
    async (userId) => {
      const empty = await raw('GET', `/v1/users/${userId}/factors`);
      expect(await json(empty)).toEqual({ factors: [] });
      const enrolled = await enroll(base, userId, { type: 'totp' });
      expect(enrolled.status).toBe(201);
      const factorId = (await json(enrolled)).factor.id;
      const listed = await json(await raw('GET', `/v1/users/${userId}/factors`));
      expect(listed.factors.map((factor: { id: string }) => factor.id)).toEqual([factorId]);
      expect((await startAuthn(base, { userId })).status).toBe('MFA_ENROLL');
      await expectProblem(
        await raw('DELETE', `/v1/users/${userId}/factors/__proto__`),
        404,
        'not_found',
      );
    },
  );
});

describe('deep nesting', () => {
  const nested = (levels: number, inner = '1') =>
    `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
  const objects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  it.each([
    ['8,000 nested arrays as the body', '400 invalid_request', () => nested(8000, '')],
    ['16,000 unclosed brackets', '400 invalid_request', () => '['.repeat(16_000)],
    [
      '8,000 nested arrays in context.ip',
      '400 invalid_request',
      () => `{"userId":"u1","context":{"ip":${nested(8000)}}}`,
    ],
    [
      '8,000 nested arrays in an unknown field',
      '200 MFA_ENROLL',
      () => `{"userId":"u1","x":${nested(8000)}}`,
    ],
    [
      '2,700 nested objects in context',
      '200 MFA_ENROLL',
      () => `{"userId":"u1","context":${objects(2700)}}`,
    ],
    ['10,000 nested arrays (20 KB)', '413 payload_too_large', () => nested(10_000)],
  ])('POST /v1/authn with %s → %s', async (_name, expected, body) => {
    expect(await answer(await raw('POST', '/v1/authn', body()))).toBe(expected);
  });

  it('8,000 nested arrays as a state token → 400 invalid_request', async () => {
    const body = `{"stateToken":${nested(8000, '"x"')},"passCode":"123456"}`;
    const response = await raw('POST', '/v1/authn/factors/email_aaaaaaaaaaaaaaaaaaaa/verify', body);
    await expectProblem(response, 400, 'invalid_request');
  });
});

describe('invalid UTF-8 and odd code points', () => {
  it.each([
    ['0xFF in userId', '400 invalid_request', bytes('{"userId":"u', [0xff], '"}')],
    [
      'an overlong "/" (C0 AF) in userId',
      '400 invalid_request',
      bytes('{"userId":"u', [0xc0, 0xaf], 'x"}'),
    ],
    [
      // Decoded as U+FFFD, which display text refuses: not what the app meant to send.
      'a cut sequence (C3 28) in userAgent',
      '400 invalid_request',
      bytes('{"userId":"u1","context":{"userAgent":"a', [0xc3, 0x28], '"}}'),
    ],
    [
      'a UTF-8 BOM before the JSON',
      '400 invalid_request',
      bytes([0xef, 0xbb, 0xbf], '{"userId":"u1"}'),
    ],
    [
      'a lone surrogate escape in userAgent',
      '400 invalid_request',
      bytes('{"userId":"u1","context":{"userAgent":"\\ud800"}}'),
    ],
    [
      'a NUL escape in userAgent',
      '400 invalid_request',
      bytes('{"userId":"u1","context":{"userAgent":"a\\u0000"}}'),
    ],
  ])('POST /v1/authn with %s → %s', async (_name, expected, body) => {
    expect(await answer(await raw('POST', '/v1/authn', body))).toBe(expected);
  });

  it('0xFF in an email to enroll → 400 invalid_email', async () => {
    const body = bytes('{"type":"email","email":"a', [0xff], '@example.com"}');
    await expectProblem(
      await raw('POST', `/v1/users/${unique('utf')}/factors`, body),
      400,
      'invalid_email',
    );
  });

  // Accepted, this payee could never be sent: every challenge ended in 503 delivery_failed.
  it('a lone surrogate in the payee → 400 invalid_request at start, not a 503 at challenge', async () => {
    const userId = unique('payee');
    await activeFactor(base, userId, 'email', `${userId}@example.com`);
    const body = `{"userId":"${userId}","transaction":{"amount":"1.00","currency":"EUR","payee":"A\\ud800 Ltd"}}`;
    const refused = await expectProblem(
      await raw('POST', '/v1/authn', body),
      400,
      'invalid_request',
    );
    expect(refused.detail).toContain('transaction.payee');
  });
});

describe('encoded slashes and dots in path segments', () => {
  it.each([
    ['GET', '/v1/users/a%2Fb/factors', '400 invalid_request'],
    ['GET', '/v1/users/..%2Fdemo/factors', '400 invalid_request'],
    ['GET', '/v1/users/..%2F..%2F..%2Fhealth/factors', '400 invalid_request'],
    ['GET', '/v1/users/u1%00/factors', '400 invalid_request'],
    // A dot segment, %-encoded or not, names no resource (RFC 3986 §6.2.2.2): no such route.
    ['GET', '/v1/users/%2E%2E/factors', '404 not_found'],
    ['GET', '/v1/users/../factors', '404 not_found'],
    ['GET', '/v1/users/%2e/factors', '404 not_found'],
    ['GET', '/v1/users/u1%2Ffactors', '404 not_found'], // no such route
    // Malformed %-encoding: the userId is malformed, 400 as the contract says of one.
    ['GET', '/v1/users/%E0%A4%A/factors', '400 invalid_request'],
    ['POST', '/v1/users/u1/factors/..%2F..%2Fx/activate', '404 not_found'],
    ['POST', '/v1/users/u1/factors/email_aaaaaaaaaaaaaaaaaaa%2F/resend', '404 not_found'],
    [
      'DELETE',
      '/v1/users/u1/factors/..%2Fu2%2Ffactors%2Femail_aaaaaaaaaaaaaaaaaaaa',
      '404 not_found',
    ],
    ['POST', '/v1/authn/factors/..%2F..%2Fcancel/challenge', '404 not_found'],
  ])('%s %s → %s', async (method, path, expected) => {
    const body =
      method === 'POST' ? `{"passCode":"123456","stateToken":"${'x'.repeat(43)}"}` : undefined;
    expect(await answer(await raw(method, path, body))).toBe(expected);
  });
});

describe('sizes and media types', () => {
  it('a body under 16 Ki characters but over 16 KiB of UTF-8 → 413 payload_too_large', async () => {
    const body = `{"type":"email","email":"${'€'.repeat(6000)}@example.com"}`;
    expect(body.length).toBeLessThan(16 * 1024);
    await expectProblem(
      await raw('POST', `/v1/users/${unique('big')}/factors`, body),
      413,
      'payload_too_large',
    );
  });

  it('a 2 MiB body → 413 payload_too_large', async () => {
    const body = `{"userId":"u1","pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    await expectProblem(await raw('POST', '/v1/authn', body), 413, 'payload_too_large');
  });

  it.each([
    ['application/x-www-form-urlencoded', '__proto__[polluted]=1&type=totp'],
    ['text/json', '{"type":"totp"}'],
    ['application/json-patch+json', '{"type":"totp"}'],
    ['application/jsonx', '{"type":"totp"}'],
    ['(none)', '{"type":"totp"}'],
  ])('enroll with content type %s → 415 unsupported_media_type', async (type, body) => {
    const headers: Record<string, string> = type === '(none)' ? {} : { 'content-type': type };
    const response = await raw('POST', `/v1/users/${unique('media')}/factors`, body, headers);
    await expectProblem(response, 415, 'unsupported_media_type');
  });
});
