import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  activeFactor,
  enroll,
  expectProblem,
  json,
  lastCode,
  testClock,
  unique,
  uniquePhone,
  wrongCode,
} from '../support/flows.js';
import { basicAuth, registerClient, startTestRuntime } from '../support/local.js';

const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
/** Every secret value the tests handle: none may appear in a log line. */
const secrets: string[] = [];
const other = basicAuth('other-app', 'other-secret');

beforeAll(async () => {
  runtime = await startTestRuntime({ clock });
  base = runtime.url;
  await registerClient('other-app', 'other-secret');
});
afterAll(async () => {
  await runtime?.close();
});

const codeFor = async (to: string) => {
  const code = await lastCode(base, to);
  secrets.push(code);
  return code;
};

describe('email factor', () => {
  it('enroll → code in the outbox → activate → listed ACTIVE and masked', async () => {
    const email = `${unique('jane')}@Example.COM`;
    secrets.push(email, email.toLowerCase());
    const enrolled = await enroll(base, 'u-email', { type: 'email', email });
    expect(enrolled.status).toBe(201);
    const body = await json(enrolled);
    expect(body.factor).toMatchObject({
      type: 'email',
      status: 'PENDING_ACTIVATION',
      profile: { email: `${email[0]}***@example.com` },
    });
    expect(body.activation.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(JSON.stringify(body)).not.toContain(email.split('@')[0]);

    const activated = await activate(
      base,
      'u-email',
      body.factor.id,
      await codeFor(email.replace('Example.COM', 'example.com')),
    );
    expect(activated.status).toBe(200);
    expect((await json(activated)).factor.status).toBe('ACTIVE');

    const list = await json(
      await fetch(`${base}/v1/users/u-email/factors`, { headers: { authorization: basicAuth() } }),
    );
    expect(list.factors).toEqual([
      expect.objectContaining({
        id: body.factor.id,
        status: 'ACTIVE',
        profile: { email: `${email[0]}***@example.com` },
      }),
    ]);
  });

  it('the same email enrolled twice: 409 factor_exists once active', async () => {
    const email = `${unique('dup')}@example.com`;
    secrets.push(email);
    await activeFactor(base, 'u-dup', 'email', email);
    await expectProblem(
      await enroll(base, 'u-dup', { type: 'email', email }),
      409,
      'factor_exists',
    );
  });
});

describe('sms factor', () => {
  it('enroll → activate; the SMS is sent and the number masked', async () => {
    const phone = uniquePhone();
    secrets.push(phone);
    const enrolled = await json(await enroll(base, 'u-sms', { type: 'sms', phoneNumber: phone }));
    expect(enrolled.factor.profile).toEqual({
      phoneNumber: `${phone.slice(0, 3)}*******${phone.slice(-3)}`,
    });
    const outbox = await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(phone)}`));
    expect(outbox.messages.at(-1)).toMatchObject({ channel: 'sms', to: phone });
    const activated = await activate(base, 'u-sms', enrolled.factor.id, await codeFor(phone));
    expect(activated.status).toBe(200);
  });

  it('wrong code → 401 with attemptsRemaining; the 5th → 403 locked_out; a resend starts afresh', async () => {
    const phone = uniquePhone();
    secrets.push(phone);
    const { factor } = await json(
      await enroll(base, 'u-wrong', { type: 'sms', phoneNumber: phone }),
    );
    const code = await codeFor(phone);
    for (let remaining = 4; remaining >= 1; remaining -= 1) {
      const body = await expectProblem(
        await activate(base, 'u-wrong', factor.id, wrongCode(code)),
        401,
        'invalid_passcode',
      );
      expect(body.attemptsRemaining).toBe(remaining);
    }
    await expectProblem(
      await activate(base, 'u-wrong', factor.id, wrongCode(code)),
      403,
      'locked_out',
    );
    await expectProblem(await activate(base, 'u-wrong', factor.id, code), 403, 'locked_out');

    const tooSoon = await fetch(`${base}/v1/users/u-wrong/factors/${factor.id}/resend`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: '{}',
    });
    await expectProblem(tooSoon, 429, 'resend_too_soon');
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(31);
    const resent = await fetch(`${base}/v1/users/u-wrong/factors/${factor.id}/resend`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(resent.status).toBe(200);
    expect((await activate(base, 'u-wrong', factor.id, await codeFor(phone))).status).toBe(200);
  });

  it('an expired code → 410 expired; a replayed code after activation → 409 invalid_state', async () => {
    const phone = uniquePhone();
    secrets.push(phone);
    const { factor } = await json(await enroll(base, 'u-exp', { type: 'sms', phoneNumber: phone }));
    const code = await codeFor(phone);
    clock.advance(301);
    await expectProblem(await activate(base, 'u-exp', factor.id, code), 410, 'expired');
    // A re-enroll of a pending number is a resend: a new code, the same factor.
    const again = await json(await enroll(base, 'u-exp', { type: 'sms', phoneNumber: phone }));
    expect(again.factor.id).toBe(factor.id);
    const fresh = await codeFor(phone);
    expect((await activate(base, 'u-exp', factor.id, fresh)).status).toBe(200);
    await expectProblem(await activate(base, 'u-exp', factor.id, fresh), 409, 'invalid_state');
  });
});

describe('totp factor', () => {
  it('enroll shows secret, otpauth URI and QR once; a code from another implementation activates it', async () => {
    const enrolled = await enroll(base, 'u-totp', { type: 'totp' });
    expect(enrolled.status).toBe(201);
    const { factor, activation } = await json(enrolled);
    secrets.push(activation.secret);
    expect(activation.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits in base32
    expect(activation.otpauthUri).toMatch(/^otpauth:\/\/totp\/MFA%20Service:u-totp\?/);
    expect(activation.otpauthUri).toContain(`secret=${activation.secret}`);
    expect(activation.otpauthUri).toMatch(/algorithm=SHA1/);
    expect(activation.otpauthUri).toMatch(/digits=6/);
    expect(activation.otpauthUri).toMatch(/period=30/);
    expect(activation.qrCode).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);

    const code = generateSync({
      secret: activation.secret,
      epoch: Math.floor(clock.now().getTime() / 1000),
    });
    secrets.push(code);
    expect((await activate(base, 'u-totp', factor.id, code)).status).toBe(200);
    const list = await json(
      await fetch(`${base}/v1/users/u-totp/factors`, { headers: { authorization: basicAuth() } }),
    );
    expect(JSON.stringify(list)).not.toContain(activation.secret);
    expect(list.factors[0]).toMatchObject({ type: 'totp', status: 'ACTIVE', profile: {} });
  });

  it('a wrong TOTP code → 401 invalid_passcode', async () => {
    const { factor, activation } = await json(await enroll(base, 'u-totp2', { type: 'totp' }));
    secrets.push(activation.secret);
    const code = generateSync({
      secret: activation.secret,
      epoch: Math.floor(clock.now().getTime() / 1000),
    });
    await expectProblem(
      await activate(base, 'u-totp2', factor.id, wrongCode(code)),
      401,
      'invalid_passcode',
    );
  });
});

describe('validation', () => {
  it.each([
    [{ type: 'sms', phoneNumber: '+44123' }, 'invalid_phone_number'],
    [{ type: 'sms', phoneNumber: '+4477009ABCDE' }, 'invalid_phone_number'],
    [{ type: 'sms', phoneNumber: '07700900123' }, 'invalid_phone_number'],
    [{ type: 'sms', phoneNumber: '+449098790000' }, 'invalid_phone_number'], // premium rate
    [{ type: 'sms', phoneNumber: '+8613800138000' }, 'country_not_allowed'], // CN
    [{ type: 'email', email: 'no-at-sign' }, 'invalid_email'],
    [{ type: 'email', email: 'a@b' }, 'invalid_email'],
    [{ type: 'email', email: 'a b@example.com' }, 'invalid_email'],
    [{ type: 'fax', number: '1' }, 'invalid_request'],
    [{}, 'invalid_request'],
  ])('%j → 400 %s', async (body, code) => {
    await expectProblem(await enroll(base, 'u-bad', body), 400, code);
  });

  it('a malformed user id → 400 invalid_request; a malformed factor id → 404 not_found', async () => {
    await expectProblem(await enroll(base, 'bad user', { type: 'totp' }), 400, 'invalid_request');
    await expectProblem(await activate(base, 'u1', 'nope', '123456'), 404, 'not_found');
  });
});

describe('ownership, limits and deletion', () => {
  it('another app sees 404 for the factor and an empty list', async () => {
    const email = `${unique('own')}@example.com`;
    secrets.push(email);
    const factorId = await activeFactor(base, 'u-own', 'email', email);
    await expectProblem(await activate(base, 'u-own', factorId, '123456', other), 404, 'not_found');
    const list = await json(
      await fetch(`${base}/v1/users/u-own/factors`, { headers: { authorization: other } }),
    );
    expect(list.factors).toEqual([]);
    const deleted = await fetch(`${base}/v1/users/u-own/factors/${factorId}`, {
      method: 'DELETE',
      headers: { authorization: other },
    });
    await expectProblem(deleted, 404, 'not_found');
  });

  it('delete → 204, then 404; the destination can be enrolled again', async () => {
    const email = `${unique('del')}@example.com`;
    secrets.push(email);
    const factorId = await activeFactor(base, 'u-del', 'email', email);
    const del = () =>
      fetch(`${base}/v1/users/u-del/factors/${factorId}`, {
        method: 'DELETE',
        headers: { authorization: basicAuth() },
      });
    const first = await del();
    expect(first.status).toBe(204);
    expect(await first.text()).toBe('');
    await expectProblem(await del(), 404, 'not_found');
    expect((await enroll(base, 'u-del', { type: 'email', email })).status).toBe(201);
  });

  it('at most 10 factors per user → 409 too_many_factors', async () => {
    for (let i = 0; i < 10; i += 1)
      expect((await enroll(base, 'u-many', { type: 'totp' })).status).toBe(201);
    await expectProblem(await enroll(base, 'u-many', { type: 'totp' }), 409, 'too_many_factors');
  });

  it('10 enrollments race for the last free slot: exactly one wins', async () => {
    for (let i = 0; i < 9; i += 1) await enroll(base, 'u-race', { type: 'totp' });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => enroll(base, 'u-race', { type: 'totp' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
  });

  it('more than 10 codes to one destination in an hour → 429 rate_limited', async () => {
    const email = `${unique('pump')}@example.com`;
    secrets.push(email);
    // All 11 sends inside one clock hour (the enrollment's included): cooldowns are skipped
    // by moving 31 s each time, so start at least 400 s before the hour ends.
    const toEndOfHour = 3600 - (Math.floor(clock.now().getTime() / 1000) % 3600);
    if (toEndOfHour < 400) clock.advance(toEndOfHour + 1);
    const { factor } = await json(await enroll(base, 'u-pump', { type: 'email', email }));
    const resend = () =>
      fetch(`${base}/v1/users/u-pump/factors/${factor.id}/resend`, {
        method: 'POST',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        body: '{}',
      });
    for (let sent = 1; sent < 10; sent += 1) {
      clock.advance(31);
      expect((await resend()).status).toBe(200);
    }
    clock.advance(31);
    const limited = await resend();
    await expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('review fixes', () => {
  it('email addresses are case-insensitive: a second case is the same factor', async () => {
    const email = `${unique('case')}@example.com`;
    secrets.push(email);
    await activeFactor(base, 'u-case', 'email', email);
    await expectProblem(
      await enroll(base, 'u-case', { type: 'email', email: email.toUpperCase() }),
      409,
      'factor_exists',
    );
  });

  it('an activation code that cannot be delivered → 503 delivery_failed, and enrolling again works at once', async () => {
    const email = `${unique('down')}@example.com`;
    secrets.push(email);
    runtime.outbox.failDeliveriesTo(email);
    await expectProblem(
      await enroll(base, 'u-down', { type: 'email', email }),
      503,
      'delivery_failed',
    );
    runtime.outbox.failDeliveriesTo(email, false);
    const list = await json(
      await fetch(`${base}/v1/users/u-down/factors`, { headers: { authorization: basicAuth() } }),
    );
    expect(list.factors).toEqual([]);
    expect((await enroll(base, 'u-down', { type: 'email', email })).status).toBe(201);
  });

  it('a POST with no body at all (with or without a JSON content type) is an empty object: resend works, activate answers 400', async () => {
    const email = `${unique('nobody')}@example.com`;
    secrets.push(email);
    const { factor } = await json(await enroll(base, 'u-nobody', { type: 'email', email }));
    clock.advance(31);
    const resend = await fetch(`${base}/v1/users/u-nobody/factors/${factor.id}/resend`, {
      method: 'POST',
      headers: { authorization: basicAuth() },
    });
    expect(resend.status).toBe(200);
    // Labelled JSON, as many HTTP clients label every POST: still no body, still {}.
    clock.advance(31);
    const labelled = await fetch(`${base}/v1/users/u-nobody/factors/${factor.id}/resend`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    });
    expect(labelled.status).toBe(200);
    const bare = await fetch(`${base}/v1/users/u-nobody/factors/${factor.id}/activate`, {
      method: 'POST',
      headers: { authorization: basicAuth() },
    });
    await expectProblem(bare, 400, 'invalid_request');
  });
});

describe('activation attempts under concurrency', () => {
  const failedEvents = (factorId: string) =>
    runtime.events
      .list({ type: 'mfa.factor.activation_failed' })
      .filter((event) => event.detail.factorId === factorId);

  it('30 concurrent wrong codes: at most 5 are compared (5 activation_failed events)', async () => {
    const userId = unique('burst');
    const to = `${userId}@example.com`;
    secrets.push(to);
    const { factor } = await json(await enroll(base, userId, { type: 'email', email: to }));
    const code = await codeFor(to);
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => activate(base, userId, factor.id, wrongCode(code))),
    );
    const bodies = await Promise.all(answers.map(json));
    const seen = answers.map((answer, i) => `${answer.status} ${bodies[i]?.code}`);
    expect(seen.filter((s) => s === '401 invalid_passcode')).toHaveLength(4);
    expect(seen.filter((s) => s === '403 locked_out')).toHaveLength(26);
    expect(failedEvents(factor.id)).toHaveLength(5);
    // The right code is refused too: the activation has ended.
    await expectProblem(await activate(base, userId, factor.id, code), 403, 'locked_out');
  });

  it('a right code among 29 wrong ones answers like them unless it is compared', async () => {
    const userId = unique('burstright');
    const to = `${userId}@example.com`;
    secrets.push(to);
    const { factor } = await json(await enroll(base, userId, { type: 'email', email: to }));
    const code = await codeFor(to);
    const guesses = Array.from({ length: 30 }, (_, i) => (i === 17 ? code : wrongCode(code)));
    const answers = await Promise.all(
      guesses.map((guess) => activate(base, userId, factor.id, guess)),
    );
    const bodies = await Promise.all(answers.map(json));
    const seen = new Set(answers.map((answer, i) => `${answer.status} ${bodies[i]?.code ?? ''}`));
    for (const kind of seen)
      expect(['200 ', '401 invalid_passcode', '403 locked_out']).toContain(kind);
    expect(failedEvents(factor.id).length).toBeLessThanOrEqual(5);
    const activated = answers[17]?.status === 200;
    const listed = await json(
      await fetch(`${base}/v1/users/${userId}/factors`, {
        headers: { authorization: basicAuth() },
      }),
    );
    expect(listed.factors[0].status).toBe(activated ? 'ACTIVE' : 'PENDING_ACTIVATION');
  });
});

describe('logs', () => {
  it('contain none of the codes, secrets, phone numbers or emails used', () => {
    const joined = runtime.logs.join('\n');
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(joined).not.toContain(secret);
    expect(runtime.logs.some((line) => line.includes('factor enrolled'))).toBe(true);
  });
});
