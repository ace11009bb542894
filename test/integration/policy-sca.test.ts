import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Policy, parsePolicy } from '../../shared/domain/policy/index.js';
import {
  activeFactor,
  challenge,
  claimsOf,
  enroll,
  expectProblem,
  json,
  lastCode,
  testClock,
  unique,
  uniquePhone,
  verify,
} from '../support/flows.js';
import { postJson, registerClient, startTestRuntime } from '../support/local.js';

/** A payments app's policy on start, and factor sequencing to SCA (API.md v1.1). */
const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
const PIN = 'walnut-7741';

// As an operator writes it (a JSON file for `npm run client -- policy set`).
const policy: Policy = parsePolicy(`{
  "version": 1,
  "rules": [
    { "id": "sanctioned", "if": { "country": { "in": ["KP", "IR"] } }, "then": "deny" },
    { "id": "big-payment", "if": { "amount": { "gte": "100.00", "currency": "EUR" } }, "then": { "require": "sca" } },
    { "id": "trusted-office", "if": { "ip": { "inCidr": ["198.51.100.0/24"] } }, "then": "exempt" },
    { "id": "risky", "if": { "riskScore": { "gt": 70 } }, "then": { "require": "sca" } }
  ],
  "default": { "require": "mfa" }
}`);

/** Registers an app with a policy, as `npm run client -- policy set` stores it. */
const appWith = (appPolicy: Policy) => registerClient(unique('pay'), 'pay-secret-1', appPolicy);

beforeAll(async () => {
  runtime = await startTestRuntime({ clock });
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

const big = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };

/** A user of `auth`'s app with an SMS factor, a PIN and (optionally) a TOTP factor. */
const userWithSmsAndPin = async (auth: string) => {
  const userId = unique('seq');
  const phone = uniquePhone();
  const enrolled = await json(
    await enroll(base, userId, { type: 'sms', phoneNumber: phone }, auth),
  );
  await postJson(
    base,
    `/v1/users/${userId}/factors/${enrolled.factor.id}/activate`,
    { passCode: await lastCode(base, phone) },
    auth,
  );
  const pin = await json(await enroll(base, userId, { type: 'pin', pin: PIN }, auth));
  const totp = await json(await enroll(base, userId, { type: 'totp' }, auth));
  const code = generateSync({
    secret: totp.activation.secret,
    epoch: Math.floor(clock.now().getTime() / 1000) - 30,
  });
  await postJson(
    base,
    `/v1/users/${userId}/factors/${totp.factor.id}/activate`,
    { passCode: code },
    auth,
  );
  return { userId, phone, sms: enrolled.factor.id, pin: pin.factor.id, totp: totp.factor.id };
};

describe("the app's policy decides at start", () => {
  it('deny → 403 access_denied with the rule and a transactionId, the same for an unknown user', async () => {
    const auth = await appWith(policy);
    const known = await userWithSmsAndPin(auth);
    for (const userId of [known.userId, unique('nobody')]) {
      const answer = await postJson(
        base,
        '/v1/authn',
        { userId, context: { country: 'KP' } },
        auth,
      );
      const problem = await expectProblem(answer, 403, 'access_denied');
      expect(problem.rule).toBe('sanctioned');
      expect(problem.transactionId).toEqual(expect.any(String));
      expect(problem).not.toHaveProperty('factors');
    }
    const denied = runtime.events
      .list({ type: 'mfa.authn.started' })
      .filter((event) => event.detail.status === 'DENIED');
    expect(denied.at(-1)?.detail.policy).toEqual({ decision: 'deny', rule: 'sanctioned' });
  });

  it('an exempt rule answers SUCCESS with an exempt token (no auth_time, no amr) that /demo/dogs refuses', async () => {
    const auth = await appWith(policy);
    const { userId } = await userWithSmsAndPin(auth);
    const answer = await postJson(
      base,
      '/v1/authn',
      { userId, context: { ip: '198.51.100.7' } },
      auth,
    );
    expect(answer.status).toBe(200);
    const started = await json(answer);
    expect(started).toMatchObject({
      status: 'SUCCESS',
      transactionId: expect.any(String),
      exemption: 'policy_rule',
      tokenType: 'Bearer',
    });
    expect(started).not.toHaveProperty('stateToken');
    const claims = claimsOf(started.token) as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: userId,
      acr: 'exempt',
      txn: started.transactionId,
      sca: { decision: 'exempt', rule: 'trusted-office', exemption: 'policy_rule' },
    });
    expect(claims).not.toHaveProperty('auth_time');
    expect(claims).not.toHaveProperty('amr');
    for (const route of ['/demo/dogs', '/demo/payments']) {
      const refused = await fetch(`${base}${route}`, {
        headers: { authorization: `Bearer ${started.token}` },
      });
      expect(refused.status, route).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain(
        'error="insufficient_user_authentication"',
      );
    }
  });
});

describe('exempt rules and IP forms (after an attacker review)', () => {
  it('rules are tried in order: a require-sca rule before an exempt rule holds for a big payment', async () => {
    const auth = await appWith(
      parsePolicy(`{
        "version": 1,
        "rules": [
          { "id": "big", "if": { "amount": { "gte": "100.00", "currency": "EUR" } }, "then": { "require": "sca" } },
          { "id": "office", "if": { "ip": { "inCidr": ["198.51.100.0/24"] } }, "then": "exempt" }
        ]
      }`),
    );
    const { userId } = await userWithSmsAndPin(auth);
    const start = (transaction?: typeof big) =>
      postJson(
        base,
        '/v1/authn',
        { userId, ...(transaction ? { transaction } : {}), context: { ip: '198.51.100.7' } },
        auth,
      ).then(json);
    expect((await start(big)).requirement.level).toBe('sca');
    expect(await start()).toMatchObject({ status: 'SUCCESS', exemption: 'policy_rule' });
  });

  it.each([
    '203.0.113.5 ',
    '203.0.113.5:443',
    '198.51.100.1, 203.0.113.5',
    '[2001:db8::1]',
    '[2001:db8::1]:443',
    '2001:db8::1%eth0',
  ])('an IP deny rule holds for %j', async (ip) => {
    const auth = await appWith(
      parsePolicy(`{
        "version": 1,
        "rules": [{ "id": "blocked", "if": { "ip": { "inCidr": ["203.0.113.0/24", "2001:db8::/32"] } }, "then": "deny" }]
      }`),
    );
    const answer = await postJson(
      base,
      '/v1/authn',
      { userId: unique('ip'), context: { ip } },
      auth,
    );
    expect((await expectProblem(answer, 403, 'access_denied')).rule).toBe('blocked');
  });
});

describe('factor sequencing to SCA', () => {
  it('sms, then a PIN: MFA_REQUIRED in between (no second possession factor offered), then acr sca naming both', async () => {
    const auth = await appWith(policy);
    const u = await userWithSmsAndPin(auth);
    const started = await json(
      await postJson(base, '/v1/authn', { userId: u.userId, transaction: big }, auth),
    );
    expect(started.requirement).toEqual({
      level: 'sca',
      categories: ['knowledge', 'possession', 'inherence'],
    });
    expect(started.factors.map((f: { type: string }) => f.type).sort()).toEqual([
      'pin',
      'sms',
      'totp',
    ]);

    expect((await challenge(base, started.stateToken, u.sms, auth)).status).toBe(200);
    const first = await verify(
      base,
      started.stateToken,
      u.sms,
      await lastCode(base, u.phone),
      auth,
    );
    expect(first.status).toBe(200);
    const more = await json(first);
    expect(more).toMatchObject({
      status: 'MFA_REQUIRED',
      transactionId: started.transactionId,
      stateToken: started.stateToken,
      requirement: { level: 'sca', categories: ['knowledge', 'inherence'] },
    });
    expect(more.factors.map((f: { id: string }) => f.id)).toEqual([u.pin]);
    expect(more).not.toHaveProperty('token');

    // The SMS again (past its cooldown) sends nothing: 409 invalid_state, no new message.
    clock.advance(31);
    const sent = (
      await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(u.phone)}`))
    ).messages.length;
    await expectProblem(
      await challenge(base, started.stateToken, u.sms, auth),
      409,
      'invalid_state',
    );
    expect(
      (await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(u.phone)}`))).messages,
    ).toHaveLength(sent);
    // A second possession factor adds nothing: 409 invalid_state, refused before an attempt
    // is taken (six of them would otherwise have used up the transaction and counted on the
    // factor without a word in the audit log).
    for (let i = 0; i < 6; i += 1) {
      const refused = await expectProblem(
        await verify(base, started.stateToken, u.totp, '123456', auth),
        409,
        'invalid_state',
      );
      expect(refused.detail).toContain('proves no category the transaction still needs');
    }
    const done = await verify(base, started.stateToken, u.pin, PIN, auth);
    expect(done.status).toBe(200);
    const { token } = await json(done);
    expect(claimsOf(token).acr).toBe('sca');
    expect(claimsOf(token).amr).toEqual(expect.arrayContaining(['sms', 'pin']));
    expect(claimsOf(token).sca).toEqual({ decision: 'require', rule: 'big-payment' });
    const payments = await fetch(`${base}/demo/payments`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(payments.status).toBe(200);
  });

  it('two first steps at the same moment: one is recorded, the other answers 409 and counts when repeated', async () => {
    const auth = await appWith(policy);
    const u = await userWithSmsAndPin(auth);
    const started = await json(
      await postJson(base, '/v1/authn', { userId: u.userId, transaction: big }, auth),
    );
    await challenge(base, started.stateToken, u.sms, auth);
    const code = await lastCode(base, u.phone);
    const answers = await Promise.all([
      verify(base, started.stateToken, u.sms, code, auth),
      verify(base, started.stateToken, u.pin, PIN, auth),
    ]);
    const bodies = await Promise.all(answers.map(json));
    const statuses = answers.map((a, i) => `${a.status} ${bodies[i]?.code ?? bodies[i]?.status}`);
    if (statuses.includes('409 invalid_state')) {
      expect(statuses.sort()).toEqual(['200 MFA_REQUIRED', '409 invalid_state']);
      const lost = answers[0]?.status === 409 ? 0 : 1;
      const again =
        lost === 0
          ? await verify(base, started.stateToken, u.sms, code, auth)
          : await verify(base, started.stateToken, u.pin, PIN, auth);
      const { token } = await json(again);
      expect(claimsOf(token).amr).toEqual(expect.arrayContaining(['sms', 'pin']));
    } else {
      // One after the other: the second finished the transaction.
      expect(statuses.sort()).toEqual(['200 MFA_REQUIRED', '200 SUCCESS']);
    }
  });

  it('primaryAuth knowledge + one SMS code meets sca in one step; a small payment needs only mfa', async () => {
    const auth = await appWith(policy);
    const u = await userWithSmsAndPin(auth);
    const started = await json(
      await postJson(
        base,
        '/v1/authn',
        { userId: u.userId, transaction: big, context: { primaryAuth: 'knowledge' } },
        auth,
      ),
    );
    expect(started.requirement).toEqual({ level: 'sca', categories: ['possession', 'inherence'] });
    // The PIN proves knowledge again: not offered.
    expect(started.factors.map((f: { type: string }) => f.type).sort()).toEqual(['sms', 'totp']);
    await challenge(base, started.stateToken, u.sms, auth);
    const done = await json(
      await verify(base, started.stateToken, u.sms, await lastCode(base, u.phone), auth),
    );
    expect(claimsOf(done.token).acr).toBe('sca');

    const small = await json(
      await postJson(
        base,
        '/v1/authn',
        { userId: u.userId, transaction: { ...big, amount: '10.00' } },
        auth,
      ),
    );
    expect(small.requirement).toEqual({ level: 'mfa', categories: [] });
    const pinOnly = await json(await verify(base, small.stateToken, u.pin, PIN, auth));
    expect(claimsOf(pinOnly.token).acr).toBe('mfa');
  });

  it('email counts as no category unless the policy says emailIsPossession', async () => {
    for (const emailIsPossession of [false, true]) {
      const auth = await appWith({ ...policy, emailIsPossession } as Policy);
      const userId = unique('mail');
      const email = `${userId}@example.com`;
      const enrolled = await json(await enroll(base, userId, { type: 'email', email }, auth));
      await postJson(
        base,
        `/v1/users/${userId}/factors/${enrolled.factor.id}/activate`,
        { passCode: await lastCode(base, email) },
        auth,
      );
      await enroll(base, userId, { type: 'pin', pin: PIN }, auth);
      const started = await json(
        await postJson(base, '/v1/authn', { userId, transaction: big }, auth),
      );
      if (emailIsPossession) {
        const types = started.factors.map((f: { type: string }) => f.type).sort();
        expect(types).toEqual(['email', 'pin']);
      } else {
        // The PIN alone is one category and email adds none: sca is out of reach, so the
        // start says to enroll another factor rather than offer a PIN that ends nowhere.
        expect(started).toEqual({
          status: 'MFA_ENROLL',
          transactionId: expect.any(String),
          factors: [],
        });
      }
    }
  });

  it('factors of one category between them (an SMS code and TOTP) cannot reach sca: MFA_ENROLL, not a dead end', async () => {
    const auth = await appWith(policy);
    const u = await userWithSmsAndPin(auth);
    // With the PIN gone, SMS and TOTP both prove possession only.
    const removed = await fetch(`${base}/v1/users/${u.userId}/factors/${u.pin}`, {
      method: 'DELETE',
      headers: { authorization: auth },
    });
    expect(removed.status).toBe(204);
    const started = await json(
      await postJson(base, '/v1/authn', { userId: u.userId, transaction: big }, auth),
    );
    expect(started.status).toBe('MFA_ENROLL');
    // With the app's password as the sign-in, one possession factor does it.
    const withPassword = await json(
      await postJson(
        base,
        '/v1/authn',
        { userId: u.userId, transaction: big, context: { primaryAuth: 'knowledge' } },
        auth,
      ),
    );
    expect(withPassword.status).toBe('MFA_REQUIRED');
  });
});

describe('the v1.1 start fields the policy reads', () => {
  it('context.riskScore drives a rule; out of 0-100 → 400 invalid_request naming it', async () => {
    const auth = await appWith(policy);
    const { userId } = await userWithSmsAndPin(auth);
    const risky = await json(
      await postJson(base, '/v1/authn', { userId, context: { riskScore: 71 } }, auth),
    );
    expect(risky.requirement.level).toBe('sca');
    const calm = await json(
      await postJson(base, '/v1/authn', { userId, context: { riskScore: 70 } }, auth),
    );
    expect(calm.requirement.level).toBe('mfa');
    const bad = await postJson(base, '/v1/authn', { userId, context: { riskScore: 101 } }, auth);
    expect((await expectProblem(bad, 400, 'invalid_request')).detail).toContain(
      'context.riskScore',
    );
    const account = await postJson(
      base,
      '/v1/authn',
      { userId, transaction: { ...big, payeeAccount: 'GB33 BUKB' } },
      auth,
    );
    expect((await expectProblem(account, 400, 'invalid_request')).detail).toContain(
      'transaction.payeeAccount',
    );
  });
});

describe('without a policy', () => {
  it('is v1: MFA_REQUIRED at level mfa, every active factor offered', async () => {
    const userId = unique('plain');
    await activeFactor(base, userId, 'email', `${userId}@example.com`);
    const started = await json(await postJson(base, '/v1/authn', { userId, transaction: big }));
    expect(started.requirement).toEqual({ level: 'mfa', categories: [] });
    expect(started.factors).toHaveLength(1);
  });
});
