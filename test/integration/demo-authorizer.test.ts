import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeFactor,
  challenge,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  testClock,
  unique,
  verify,
} from '../support/flows.js';
import { startTestRuntime } from '../support/local.js';

const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
let token: string;

beforeAll(async () => {
  runtime = await startTestRuntime({ clock, demoCatsMaxAgeSeconds: 5 });
  base = runtime.url;
  const userId = unique('demo');
  const email = `${userId}@example.com`;
  const factorId = await activeFactor(base, userId, 'email', email);
  const { stateToken } = await startAuthn(base, { userId });
  await challenge(base, stateToken, factorId);
  token = (await json(await verify(base, stateToken, factorId, await lastCode(base, email)))).token;
});
afterAll(async () => {
  await runtime?.close();
});

const get = (path: string, authorization?: string) =>
  fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });

describe('demo routes behind the MFA authorizer', () => {
  it('GET /demo is public', async () => {
    expect((await get('/demo')).status).toBe(200);
  });

  it('a fresh token passes /demo/cats and /demo/dogs with its subject', async () => {
    const cats = await get('/demo/cats', `Bearer ${token}`);
    expect(cats.status).toBe(200);
    expect(await json(cats)).toMatchObject({
      sub: expect.stringMatching(/^demo/),
      resource: '/demo/cats',
    });
    expect((await get('/demo/dogs', `Bearer ${token}`)).status).toBe(200);
  });

  it.each([
    ['no Authorization header', undefined],
    ['Bearer with no token', 'Bearer '],
    ['garbage', 'Bearer not.a.jwt'],
    ['a tampered token', 'tampered'],
    ['Basic credentials', 'Basic ZGVtbzpkZW1vLXNlY3JldA=='],
  ])('%s → 401 invalid_token with the Bearer challenge', async (_name, authorization) => {
    const header =
      authorization === 'tampered'
        ? `Bearer ${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`
        : authorization;
    const response = await get('/demo/dogs', header);
    await expectProblem(response, 401, 'invalid_token');
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('after maxAge (5 s locally), /demo/cats answers the RFC 9470 challenge; /demo/dogs still 200', async () => {
    clock.advance(6);
    const response = await get('/demo/cats', `Bearer ${token}`);
    const problem = await expectProblem(response, 401, 'insufficient_user_authentication');
    // The body says it too, as the gateway response template does on AWS.
    expect(problem).toMatchObject({
      maxAge: 5,
      detail: 'A more recent authentication is required',
    });
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=5',
    );
    expect((await get('/demo/dogs', `Bearer ${token}`)).status).toBe(200);
  });

  it('a token past exp and the 60 s skew → 401 invalid_token', async () => {
    clock.advance(900 + 60);
    await expectProblem(await get('/demo/dogs', `Bearer ${token}`), 401, 'invalid_token');
  });
});
