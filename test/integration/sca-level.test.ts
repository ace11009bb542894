import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeFactor,
  challenge,
  claimsOf,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  unique,
  uniquePhone,
  verify,
} from '../support/flows.js';
import { startTestRuntime } from '../support/local.js';

/** The SCA level of a token (API.md v1.1 "Factor categories", "Factor sequencing"). */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

/** A token from one factor of `kind`, the app saying its own sign-in was `primaryAuth`. */
const tokenFor = async (kind: 'sms' | 'email', primaryAuth?: string) => {
  const userId = unique('sca');
  const to = kind === 'sms' ? uniquePhone() : `${userId}@example.com`;
  const factorId = await activeFactor(base, userId, kind, to);
  const started = await startAuthn(base, {
    userId,
    ...(primaryAuth ? { context: { primaryAuth } } : {}),
  });
  expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
  const verified = await verify(base, started.stateToken, factorId, await lastCode(base, to));
  expect(verified.status).toBe(200);
  return (await json(verified)).token as string;
};

const payments = (token: string) =>
  fetch(`${base}/demo/payments`, { headers: { authorization: `Bearer ${token}` } });

describe('acr: sca for two distinct categories, else mfa', () => {
  it('primaryAuth knowledge + one SMS code → acr sca; /demo/payments and /demo/dogs accept it', async () => {
    const token = await tokenFor('sms', 'knowledge');
    expect(claimsOf(token)).toMatchObject({ acr: 'sca', amr: ['sms', 'otp', 'mfa'] });
    const answer = await payments(token);
    expect(answer.status).toBe(200);
    expect(await json(answer)).toMatchObject({ acr: 'sca', resource: '/demo/payments' });
    expect(
      (await fetch(`${base}/demo/dogs`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
  });

  it.each([
    ['no primaryAuth', 'sms', undefined],
    ['primaryAuth none', 'sms', 'none'],
    ['primaryAuth possession (the same category as the SMS)', 'sms', 'possession'],
    ['email, which proves no category by default', 'email', 'knowledge'],
  ] as const)(
    '%s → acr mfa; /demo/payments answers the RFC 9470 challenge with acr_values="sca"',
    async (_name, kind, primaryAuth) => {
      const token = await tokenFor(kind, primaryAuth);
      expect(claimsOf(token).acr).toBe('mfa');
      const refused = await payments(token);
      await expectProblem(refused, 401, 'insufficient_user_authentication');
      expect(refused.headers.get('www-authenticate')).toBe(
        'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", max_age=900, acr_values="sca"',
      );
    },
  );

  it('an unknown primaryAuth → 400 invalid_request naming context.primaryAuth', async () => {
    const answer = await fetch(`${base}/v1/authn`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('demo:demo-secret').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ userId: 'u1', context: { primaryAuth: 'password' } }),
    });
    const problem = await expectProblem(answer, 400, 'invalid_request');
    expect(problem.detail).toContain('context.primaryAuth');
  });
});
