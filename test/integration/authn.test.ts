import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userRef } from '../../shared/domain/state-token.js';
import {
  activate,
  activeFactor,
  challenge,
  enroll,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  testClock,
  unique,
  uniquePhone,
  verify,
  wrongCode,
} from '../support/flows.js';
import { basicAuth, postJson, registerClient, startTestRuntime } from '../support/local.js';

const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
const secrets: string[] = [];
const payment = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };

beforeAll(async () => {
  runtime = await startTestRuntime({ clock });
  base = runtime.url;
  await registerClient('other-app', 'other-secret');
});
afterAll(async () => {
  await runtime?.close();
});

/** A user with one active factor of `kind`, and a started transaction with a payment. */
const ready = async (kind: 'sms' | 'email') => {
  const userId = unique('user');
  const to = kind === 'sms' ? uniquePhone() : `${unique('mail')}@example.com`;
  secrets.push(to);
  const factorId = await activeFactor(base, userId, kind, to);
  const started = await startAuthn(base, { userId, transaction: payment, consentId: 'consent-42' });
  secrets.push(started.stateToken);
  return { userId, to, factorId, stateToken: started.stateToken as string, started };
};

const codeFor = async (to: string) => {
  const code = await lastCode(base, to);
  secrets.push(code);
  return code;
};

const totpNow = (secret: string, offsetSteps = 0) =>
  generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + offsetSteps * 30 });

describe('happy paths', () => {
  it('sms: the text names amount, currency and payee; the token verifies against the JWKS', async () => {
    const { userId, to, factorId, stateToken, started } = await ready('sms');
    expect(started).toMatchObject({
      status: 'MFA_REQUIRED',
      factors: [expect.objectContaining({ id: factorId, type: 'sms' })],
    });
    const challenged = await challenge(base, stateToken, factorId);
    expect(challenged.status).toBe(200);
    expect(await json(challenged)).toMatchObject({ status: 'MFA_CHALLENGE', factorId });
    const outbox = await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(to)}`));
    expect(outbox.messages.at(-1).body).toMatch(/250\.00 EUR to ACME Ltd/);

    const verified = await verify(base, stateToken, factorId, await codeFor(to));
    expect(verified.status).toBe(200);
    const body = await json(verified);
    expect(body).toMatchObject({
      status: 'SUCCESS',
      transactionId: started.transactionId,
      tokenType: 'Bearer',
      expiresIn: 900,
    });

    const discovery = await json(await fetch(`${base}/.well-known/openid-configuration`));
    expect(discovery).toMatchObject({ issuer: base, jwks_uri: `${base}/.well-known/jwks.json` });
    const jwks = await json(await fetch(discovery.jwks_uri));
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
    const { payload, protectedHeader } = await jwtVerify(
      body.token,
      createLocalJWKSet(jwks as never),
      {
        issuer: base,
        audience: 'demo',
        algorithms: ['ES256'],
        typ: 'mfa+jwt',
      },
    );
    expect(protectedHeader.kid).toBe(jwks.keys[0].kid);
    expect(payload).toMatchObject({
      sub: userId,
      aud: 'demo',
      amr: ['sms', 'otp', 'mfa'],
      acr: 'mfa',
      txn: started.transactionId,
      consent_id: 'consent-42',
      authorization_details: [
        {
          type: 'payment_initiation',
          instructedAmount: { amount: '250.00', currency: 'EUR' },
          creditorName: 'ACME Ltd',
        },
      ],
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    expect(typeof payload.jti).toBe('string');
    // Verified in the workflow, signed just after by the API function: the same second or the next.
    expect((payload.iat as number) - (payload.auth_time as number)).toBeGreaterThanOrEqual(0);
    expect((payload.iat as number) - (payload.auth_time as number)).toBeLessThanOrEqual(1);
  });

  it('email: challenge and verify; amr has no sms', async () => {
    const { to, factorId, stateToken } = await ready('email');
    expect((await challenge(base, stateToken, factorId)).status).toBe(200);
    const body = await json(await verify(base, stateToken, factorId, await codeFor(to)));
    const header = decodeProtectedHeader(body.token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'mfa+jwt' });
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
    expect(claims.amr).toEqual(['otp', 'mfa']);
  });

  it('totp: challenge is a no-op; a current code verifies; the step cannot be replayed in a new transaction', async () => {
    const userId = unique('totp');
    const { factor, activation } = await json(await enroll(base, userId, { type: 'totp' }));
    secrets.push(activation.secret);
    expect((await activate(base, userId, factor.id, totpNow(activation.secret, -1))).status).toBe(
      200,
    );
    clock.advance(30);

    const first = await startAuthn(base, { userId });
    const challenged = await json(await challenge(base, first.stateToken, factor.id));
    expect(challenged).toMatchObject({ status: 'MFA_CHALLENGE', factorId: factor.id });
    expect(runtime.outbox.list().some((m) => m.body.includes(activation.secret))).toBe(false);
    const code = totpNow(activation.secret);
    const ok = await verify(base, first.stateToken, factor.id, code);
    expect(ok.status).toBe(200);

    const second = await startAuthn(base, { userId });
    const replay = await expectProblem(
      await verify(base, second.stateToken, factor.id, code),
      401,
      'invalid_passcode',
    );
    expect(replay.attemptsRemaining).toBe(4);
  });

  it('an unknown user and a user with only a pending factor get the same MFA_ENROLL shape', async () => {
    const unknown = await startAuthn(base, { userId: unique('ghost') });
    const pendingUser = unique('pending');
    await enroll(base, pendingUser, { type: 'totp' });
    const pending = await startAuthn(base, { userId: pendingUser });
    expect(Object.keys(unknown).sort()).toEqual(Object.keys(pending).sort());
    expect({ ...unknown, transactionId: 'x' }).toEqual({ ...pending, transactionId: 'x' });
    expect(unknown).toEqual({
      status: 'MFA_ENROLL',
      transactionId: expect.any(String),
      factors: [],
    });
  });
});

describe('wrong codes and lockout', () => {
  it('wrong code → 401 attemptsRemaining 4; the 5th failure ends the transaction (403), even for the right code', async () => {
    const { to, factorId, stateToken } = await ready('sms');
    await challenge(base, stateToken, factorId);
    const code = await codeFor(to);
    const first = await expectProblem(
      await verify(base, stateToken, factorId, wrongCode(code)),
      401,
      'invalid_passcode',
    );
    expect(first.attemptsRemaining).toBe(4);
    for (let i = 0; i < 3; i += 1) await verify(base, stateToken, factorId, wrongCode(code));
    await expectProblem(
      await verify(base, stateToken, factorId, wrongCode(code)),
      403,
      'locked_out',
    );
    await expectProblem(await verify(base, stateToken, factorId, code), 403, 'locked_out');
    const status = await json(await postJson(base, '/v1/authn/status', { stateToken }));
    expect(status.status).toBe('LOCKED_OUT');
  });

  it('10 consecutive failures across transactions lock the factor for 15 min', async () => {
    const userId = unique('lock');
    const to = `${unique('lock')}@example.com`;
    secrets.push(to);
    const factorId = await activeFactor(base, userId, 'email', to);
    const failIn = async (count: number) => {
      const { stateToken } = await startAuthn(base, { userId });
      clock.advance(31);
      await challenge(base, stateToken, factorId);
      const code = await codeFor(to);
      for (let i = 0; i < count; i += 1) await verify(base, stateToken, factorId, wrongCode(code));
      return { stateToken, code };
    };
    await failIn(4);
    await failIn(4);
    const last = await failIn(1);
    const early = await startAuthn(base, { userId });
    await verify(base, last.stateToken, factorId, wrongCode(last.code)); // the 10th
    await expectProblem(
      await verify(base, last.stateToken, factorId, last.code),
      403,
      'locked_out',
    );
    // A transaction started before the lock gets no code either.
    await expectProblem(await challenge(base, early.stateToken, factorId), 403, 'locked_out');

    const next = await startAuthn(base, { userId });
    await expectProblem(await challenge(base, next.stateToken, factorId), 403, 'locked_out');
    clock.advance(901);
    const later = await startAuthn(base, { userId });
    expect((await challenge(base, later.stateToken, factorId)).status).toBe(200);
    expect((await verify(base, later.stateToken, factorId, await codeFor(to))).status).toBe(200);
  });
});

describe('escalating locks', () => {
  it('each further lock doubles: 15 min, 30, 60, 120; a day after a lock ends, the next starts again at 15', async () => {
    const userId = unique('escalate');
    const { factor, activation } = await json(await enroll(base, userId, { type: 'totp' }));
    secrets.push(activation.secret);
    await activate(base, userId, factor.id, totpNow(activation.secret, -1));
    const wrongTotp = () => wrongCode(totpNow(activation.secret));
    /** 10 wrong codes over two transactions: the 10th locks the factor. */
    const lockOnce = async () => {
      for (let t = 0; t < 2; t += 1) {
        const { stateToken } = await startAuthn(base, { userId });
        for (let i = 0; i < 5; i += 1) await verify(base, stateToken, factor.id, wrongTotp());
      }
      const locked = runtime.events
        .list({ type: 'mfa.factor.locked' })
        .filter((event) => event.detail.factorId === factor.id)
        .at(-1);
      const at = Math.floor(Date.parse(String(locked?.detail.time)) / 1000);
      // In minutes: the event may be timed a second after the lock.
      const minutes = Math.round((Number(locked?.detail.lockedUntil) - at) / 60);
      return { minutes, count: locked?.detail.lockCount };
    };
    const stillLocked = async () => {
      const { stateToken } = await startAuthn(base, { userId });
      const answer = await verify(base, stateToken, factor.id, totpNow(activation.secret));
      await expectProblem(answer, 403, 'locked_out');
    };

    expect(await lockOnce()).toEqual({ minutes: 15, count: 1 });
    clock.advance(901);
    expect(await lockOnce()).toEqual({ minutes: 30, count: 2 });
    clock.advance(1790);
    await stillLocked(); // a 15-minute lock would have ended
    clock.advance(11);
    expect(await lockOnce()).toEqual({ minutes: 60, count: 3 });
    // Counted from the end of the last lock: 23 h after it, the next one still doubles.
    clock.advance(3601 + 23 * 3600);
    expect(await lockOnce()).toEqual({ minutes: 120, count: 4 });
    clock.advance(7201 + 86_400);
    expect(await lockOnce()).toEqual({ minutes: 15, count: 1 });
  });
});

describe('brute force in bursts', () => {
  it('20 concurrent wrong codes in one transaction get at most 5 comparisons; then even the right code is refused', async () => {
    const { to, factorId, stateToken } = await ready('email');
    await challenge(base, stateToken, factorId);
    const code = await codeFor(to);
    const guesses = Array.from({ length: 20 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'),
    );
    const results = await Promise.all(
      guesses.map((guess) => verify(base, stateToken, factorId, guess)),
    );
    const answers = await Promise.all(
      results.map(async (r) => `${r.status} ${(await json(r)).code}`),
    );
    expect(answers.filter((a) => a === '401 invalid_passcode').length).toBeLessThanOrEqual(4);
    expect(answers.filter((a) => a === '403 locked_out').length).toBeGreaterThanOrEqual(16);
    await expectProblem(await verify(base, stateToken, factorId, code), 403, 'locked_out');
    expect((await json(await postJson(base, '/v1/authn/status', { stateToken }))).status).toBe(
      'LOCKED_OUT',
    );
  });

  it('TOTP guesses spread over 15 parallel transactions get at most 10 comparisons before the factor locks', async () => {
    const userId = unique('burst');
    const { factor, activation } = await json(await enroll(base, userId, { type: 'totp' }));
    secrets.push(activation.secret);
    await activate(base, userId, factor.id, totpNow(activation.secret, -1));
    const right = totpNow(activation.secret);
    const tokens = await Promise.all(
      Array.from(
        { length: 15 },
        async () => (await startAuthn(base, { userId })).stateToken as string,
      ),
    );
    const results = await Promise.all(
      tokens.map((token) => verify(base, token, factor.id, wrongCode(right))),
    );
    const answers = await Promise.all(
      results.map(async (r) => `${r.status} ${(await json(r)).code}`),
    );
    expect(answers.filter((a) => a === '401 invalid_passcode').length).toBeLessThanOrEqual(10);
    expect(answers.filter((a) => a === '403 locked_out').length).toBeGreaterThanOrEqual(5);
    const fresh = await startAuthn(base, { userId });
    await expectProblem(await verify(base, fresh.stateToken, factor.id, right), 403, 'locked_out');
  });
});

describe('resend, expiry and single use', () => {
  it('resend cooldown (429 resend_too_soon with Retry-After) and cap of 3 (429 too_many_challenges)', async () => {
    const { factorId, stateToken } = await ready('email');
    expect((await challenge(base, stateToken, factorId)).status).toBe(200);
    const early = await challenge(base, stateToken, factorId);
    await expectProblem(early, 429, 'resend_too_soon');
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    clock.advance(31);
    expect((await challenge(base, stateToken, factorId)).status).toBe(200);
    clock.advance(31);
    expect((await challenge(base, stateToken, factorId)).status).toBe(200);
    clock.advance(31);
    await expectProblem(await challenge(base, stateToken, factorId), 429, 'too_many_challenges');
  });

  it('an expired code → 410 expired; an expired state token → 410 expired', async () => {
    const { to, factorId, stateToken } = await ready('email');
    await challenge(base, stateToken, factorId);
    const code = await codeFor(to);
    clock.advance(301);
    await expectProblem(await verify(base, stateToken, factorId, code), 410, 'expired');
    await expectProblem(await challenge(base, stateToken, factorId), 410, 'expired');
    expect((await json(await postJson(base, '/v1/authn/status', { stateToken }))).status).toBe(
      'EXPIRED',
    );
  });

  it('a used code fails: 409 invalid_state', async () => {
    const { to, factorId, stateToken } = await ready('sms');
    await challenge(base, stateToken, factorId);
    const code = await codeFor(to);
    expect((await verify(base, stateToken, factorId, code)).status).toBe(200);
    await expectProblem(await verify(base, stateToken, factorId, code), 409, 'invalid_state');
  });

  it('verify before any challenge → 409 invalid_state', async () => {
    const { factorId, stateToken } = await ready('email');
    await expectProblem(await verify(base, stateToken, factorId, '123456'), 409, 'invalid_state');
  });

  it('a code is good only in its own transaction', async () => {
    const a = await ready('email');
    await challenge(base, a.stateToken, a.factorId);
    const codeA = await codeFor(a.to);
    const b = await startAuthn(base, { userId: a.userId });
    clock.advance(31);
    await challenge(base, b.stateToken, a.factorId);
    await expectProblem(
      await verify(base, b.stateToken, a.factorId, codeA),
      401,
      'invalid_passcode',
    );
  });

  it.each([10, 50])('%i concurrent verifies with the right code: exactly one 200', async (n) => {
    const { to, factorId, stateToken } = await ready('email');
    await challenge(base, stateToken, factorId);
    const code = await codeFor(to);
    const results = await Promise.all(
      Array.from({ length: n }, () => verify(base, stateToken, factorId, code)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // The others lost the race (409), or found every attempt taken by requests in flight (403).
    const losers = await Promise.all(
      results
        .filter((r) => r.status !== 200)
        .map(async (r) => `${r.status} ${(await json(r)).code}`),
    );
    expect(new Set(losers).size).toBeGreaterThan(0);
    for (const loser of losers) expect(['409 invalid_state', '403 locked_out']).toContain(loser);
    expect((await json(await postJson(base, '/v1/authn/status', { stateToken }))).status).toBe(
      'SUCCESS',
    );
  });

  it('10 concurrent TOTP verifies with the right code: exactly one 200', async () => {
    const userId = unique('ctotp');
    const { factor, activation } = await json(await enroll(base, userId, { type: 'totp' }));
    secrets.push(activation.secret);
    await activate(base, userId, factor.id, totpNow(activation.secret, -1));
    const { stateToken } = await startAuthn(base, { userId });
    const code = totpNow(activation.secret);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => verify(base, stateToken, factor.id, code)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });
});

describe('cancel, status and ownership', () => {
  it('cancel → 200 CANCELLED; then verify and challenge → 409 invalid_state', async () => {
    const { factorId, stateToken } = await ready('email');
    const cancelled = await postJson(base, '/v1/authn/cancel', { stateToken });
    expect(cancelled.status).toBe(200);
    expect(await json(cancelled)).toEqual({ status: 'CANCELLED' });
    await expectProblem(await verify(base, stateToken, factorId, '123456'), 409, 'invalid_state');
    await expectProblem(await challenge(base, stateToken, factorId), 409, 'invalid_state');
    expect((await json(await postJson(base, '/v1/authn/status', { stateToken }))).status).toBe(
      'CANCELLED',
    );
  });

  it('status of a live transaction, with attempts left once a code was tried; none once finished', async () => {
    const { stateToken, started, to, factorId } = await ready('email');
    const status = async () => json(await postJson(base, '/v1/authn/status', { stateToken }));
    expect(await status()).toEqual({
      status: 'MFA_REQUIRED',
      transactionId: started.transactionId,
      expiresAt: started.expiresAt,
    });
    await challenge(base, stateToken, factorId);
    const code = await codeFor(to);
    await verify(base, stateToken, factorId, wrongCode(code));
    expect(await status()).toMatchObject({ status: 'MFA_CHALLENGE', attemptsRemaining: 4 });
    expect((await verify(base, stateToken, factorId, code)).status).toBe(200);
    const done = await status();
    expect(done.status).toBe('SUCCESS');
    expect(done).not.toHaveProperty('attemptsRemaining');
  });

  it('an unknown state token → 404 not_found everywhere', async () => {
    const stateToken = 'x'.repeat(43);
    await expectProblem(await postJson(base, '/v1/authn/status', { stateToken }), 404, 'not_found');
    await expectProblem(await postJson(base, '/v1/authn/cancel', { stateToken }), 404, 'not_found');
    await expectProblem(
      await challenge(base, stateToken, 'email_aaaaaaaaaaaaaaaaaaaa'),
      404,
      'not_found',
    );
    await expectProblem(
      await verify(base, stateToken, 'email_aaaaaaaaaaaaaaaaaaaa', '123456'),
      404,
      'not_found',
    );
  });

  it('a well-formed token naming a real user but no transaction of theirs → 404 not_found', async () => {
    const { userId, factorId } = await ready('email');
    const forged = `${userRef(userId)}.${randomBytes(32).toString('base64url')}`;
    await expectProblem(await challenge(base, forged, factorId), 404, 'not_found');
    await expectProblem(await verify(base, forged, factorId, '123456'), 404, 'not_found');
    await expectProblem(
      await postJson(base, '/v1/authn/status', { stateToken: forged }),
      404,
      'not_found',
    );
  });

  it("another app's state token → 404 not_found", async () => {
    const { factorId, stateToken } = await ready('email');
    const other = basicAuth('other-app', 'other-secret');
    await expectProblem(await challenge(base, stateToken, factorId, other), 404, 'not_found');
    await expectProblem(
      await postJson(base, '/v1/authn/status', { stateToken }, other),
      404,
      'not_found',
    );
    await expectProblem(
      await postJson(base, '/v1/authn/cancel', { stateToken }, other),
      404,
      'not_found',
    );
  });

  it('a factor that is not in the transaction → 404 not_found', async () => {
    const { stateToken } = await ready('email');
    await expectProblem(
      await challenge(base, stateToken, 'sms_aaaaaaaaaaaaaaaaaaaa'),
      404,
      'not_found',
    );
  });
});

describe('transactions per user', () => {
  it('at most 20 open per user (429 rate_limited with Retry-After); expired ones are pruned at the next start', async () => {
    const userId = unique('many');
    const to = `${unique('many')}@example.com`;
    secrets.push(to);
    await activeFactor(base, userId, 'email', to);
    const first = await startAuthn(base, { userId });
    for (let i = 1; i < 20; i += 1) await startAuthn(base, { userId });
    const refused = await postJson(base, '/v1/authn', { userId });
    await expectProblem(refused, 429, 'rate_limited');
    // The oldest leaves 300 s (state token) + 300 s (retention) after it started.
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(590);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(600);

    clock.advance(601);
    await startAuthn(base, { userId });
    await expectProblem(
      await postJson(base, '/v1/authn/status', { stateToken: first.stateToken }),
      404,
      'not_found',
    );
  });
});

describe('delivery', () => {
  it.each(['email', 'sms'] as const)(
    '%s: a delivery that fails after retries → 503 delivery_failed, and it does not count',
    async (kind) => {
      const { to, factorId, stateToken } = await ready(kind);
      runtime.outbox.failDeliveriesTo(to);
      await expectProblem(await challenge(base, stateToken, factorId), 503, 'delivery_failed');
      runtime.outbox.failDeliveriesTo(to, false);
      // The provider's internal failure is retried: the first send and the workflow's two retries.
      expect(runtime.outbox.refusedSends(to)).toBe(3);
      // No cooldown and no send counted: three more sends are allowed.
      for (let i = 0; i < 3; i += 1) {
        expect((await challenge(base, stateToken, factorId)).status).toBe(200);
        clock.advance(31);
      }
      expect((await verify(base, stateToken, factorId, await codeFor(to))).status).toBe(200);
    },
    60_000,
  );

  it.each(['sms', 'email'] as const)(
    '%s: a send the provider refuses is not retried (it would fail again): 503 delivery_failed after one attempt',
    async (kind) => {
      const { to, factorId, stateToken } = await ready(kind);
      runtime.outbox.failDeliveriesTo(to, 'rejected');
      await expectProblem(await challenge(base, stateToken, factorId), 503, 'delivery_failed');
      runtime.outbox.failDeliveriesTo(to, false);
      expect(runtime.outbox.refusedSends(to)).toBe(1);
      expect((await challenge(base, stateToken, factorId)).status).toBe(200);
    },
    60_000,
  );
});

describe('cost budget', () => {
  it.each(['sms', 'email', 'totp'] as const)(
    '%s: start → challenge → verify costs ≤ 6 DynamoDB requests (sms: 7, with the SMS budget) and 3 executions',
    async (kind) => {
      const userId = unique('budget');
      let factorId: string;
      let code: () => Promise<string>;
      if (kind === 'totp') {
        const { factor, activation } = await json(await enroll(base, userId, { type: 'totp' }));
        secrets.push(activation.secret);
        await activate(base, userId, factor.id, totpNow(activation.secret, -1));
        factorId = factor.id;
        code = async () => totpNow(activation.secret);
      } else {
        const to = kind === 'sms' ? uniquePhone() : `${unique('budget')}@example.com`;
        secrets.push(to);
        factorId = await activeFactor(base, userId, kind, to);
        code = () => codeFor(to);
      }
      const before = { ...runtime.stats.dynamodbRequests };
      const executions = runtime.stats.workflowExecutions;
      const started = await startAuthn(base, { userId, transaction: payment });
      expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
      expect((await verify(base, started.stateToken, factorId, await code())).status).toBe(200);
      const used: Record<string, number> = {};
      for (const [name, count] of Object.entries(runtime.stats.dynamodbRequests)) {
        if (count > (before[name] ?? 0)) used[name] = count - (before[name] ?? 0);
      }
      const total = Object.values(used).reduce((sum, count) => sum + count, 0);
      const runs = runtime.stats.workflowExecutions - executions;
      console.log(
        `budget ${kind}: ${total} DynamoDB requests ${JSON.stringify(used)}, ${runs} workflow executions`,
      );
      // SMS_PER_APP_PER_HOUR is on by default: its counter is an SMS flow's 7th request
      // (test/integration/sms-budget-off.test.ts: 6 without it).
      expect(total).toBeLessThanOrEqual(kind === 'sms' ? 7 : 6);
      expect(runs).toBe(3);
    },
  );
});

describe('refusals are explained from the item the refused write saw', () => {
  it('a challenge within the cooldown and a verify without a challenge cost one request each', async () => {
    const { stateToken, factorId } = await ready('email');
    const count = async (call: () => Promise<Response>) => {
      const before = { ...runtime.stats.dynamodbRequests };
      const answer = await call();
      const used: Record<string, number> = {};
      for (const [name, n] of Object.entries(runtime.stats.dynamodbRequests)) {
        if (n > (before[name] ?? 0)) used[name] = n - (before[name] ?? 0);
      }
      return { answer, used };
    };
    const early = await count(() => verify(base, stateToken, factorId, '123456'));
    await expectProblem(early.answer, 409, 'invalid_state');
    expect(early.used).toEqual({ UpdateItemCommand: 1 });
    expect((await challenge(base, stateToken, factorId)).status).toBe(200);
    const again = await count(() => challenge(base, stateToken, factorId));
    await expectProblem(again.answer, 429, 'resend_too_soon');
    expect(again.used).toEqual({ UpdateItemCommand: 1 });
  });
});

describe('logs', () => {
  it('name the app and the channel of every challenge (what the SMS volume metrics count)', () => {
    const challenges = runtime.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'challenge issued');
    expect(challenges.length).toBeGreaterThan(5);
    for (const line of challenges) {
      expect(line.clientId).toEqual(expect.any(String));
      expect(['sms', 'email']).toContain(line.factorType);
    }
    expect(challenges.some((line) => line.factorType === 'sms' && line.clientId === 'demo')).toBe(
      true,
    );
  });

  it('contain none of the codes, state tokens, secrets, phone numbers or emails used', () => {
    const joined = runtime.logs.join('\n');
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(joined).not.toContain(secret);
  });
});

describe('signing', () => {
  it('a signing failure is 503 service_unavailable, never an unsigned token', async () => {
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const keyFile = path.join(process.env.LOCAL_KEY_DIR as string, 'signing-keys.json');
    await fetch(`${base}/.well-known/jwks.json`); // the key is made on first use
    const original = await readFile(keyFile);
    const { to, factorId, stateToken } = await ready('email');
    await challenge(base, stateToken, factorId);
    const code = await codeFor(to);
    await writeFile(keyFile, '{"keys":[]}');
    try {
      const response = await verify(base, stateToken, factorId, code);
      const body = await expectProblem(response, 503, 'service_unavailable');
      expect(body).not.toHaveProperty('token');
    } finally {
      await writeFile(keyFile, original);
    }
  });
});
