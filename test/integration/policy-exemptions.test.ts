import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Policy, parsePolicy } from '../../shared/domain/policy/index.js';
import { deps } from '../support/deps.js';
import {
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

/**
 * PSD2 exemptions over HTTP (API.md "Start", "Policy", "Trusted beneficiaries"): each one
 * answers 200 SUCCESS with an `acr: "exempt"` token, keeps its per-user state in the user
 * item, and never applies when a deny rule matches.
 */
const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
const PIN = 'walnut-7741';
const DAY = 86_400;

const POLICY: Policy = parsePolicy(`{
  "version": 1,
  "rules": [
    { "id": "sanctioned", "if": { "country": { "in": ["KP", "IR"] } }, "then": "deny" }
  ],
  "exemptions": {
    "lowValue": { "currency": "EUR", "maxAmount": "30.00", "maxCumulative": "100.00", "maxCount": 5 },
    "trustedBeneficiaries": true,
    "recurring": true,
    "tra": { "maxAmount": "100.00", "maxRiskScore": 20 },
    "rememberedDevice": true
  },
  "rememberDevice": { "days": 30 },
  "default": { "require": "sca" }
}`);

let auth: string;
let clientId: string;

beforeAll(async () => {
  runtime = await startTestRuntime({ clock });
  base = runtime.url;
  clientId = unique('bank');
  auth = await registerClient(clientId, 'bank-secret-1', POLICY);
});
afterAll(async () => {
  await runtime?.close();
});

/** A JSON answer, as `json` reads it. */
type Answer = Awaited<ReturnType<typeof json>>;

const eur = (amount: string, more: Record<string, unknown> = {}) => ({
  amount,
  currency: 'EUR',
  payee: 'Corner Shop',
  ...more,
});

/** A user of the bank app with an SMS factor and a PIN. */
const newUser = async () => {
  const userId = unique('payer');
  const phone = uniquePhone();
  const sms = await json(await enroll(base, userId, { type: 'sms', phoneNumber: phone }, auth));
  await postJson(
    base,
    `/v1/users/${userId}/factors/${sms.factor.id}/activate`,
    { passCode: await lastCode(base, phone) },
    auth,
  );
  const pin = await json(await enroll(base, userId, { type: 'pin', pin: PIN }, auth));
  return { userId, phone, sms: sms.factor.id as string, pin: pin.factor.id as string };
};
type User = Awaited<ReturnType<typeof newUser>>;

const start = async (userId: string, body: Record<string, unknown> = {}) => {
  const answer = await postJson(base, '/v1/authn', { userId, ...body }, auth);
  expect(answer.status).toBe(200);
  return json(answer);
};

/** Passes SCA (SMS code, then the PIN) on a started transaction; returns the MFA token. */
const passSca = async (user: User, started: Answer) => {
  expect(started).toMatchObject({ status: 'MFA_REQUIRED', requirement: { level: 'sca' } });
  clock.advance(31); // past the previous send's cooldown
  expect((await challenge(base, started.stateToken, user.sms, auth)).status).toBe(200);
  const first = await json(
    await verify(base, started.stateToken, user.sms, await lastCode(base, user.phone), auth),
  );
  expect(first.status).toBe('MFA_REQUIRED');
  const done = await verify(base, started.stateToken, user.pin, PIN, auth);
  expect(done.status).toBe(200);
  const { token } = await json(done);
  expect(claimsOf(token).acr).toBe('sca');
  return token as string;
};

/** An `sca` token that approved nothing (what trusted-payee changes need). */
const scaToken = async (user: User) => passSca(user, await start(user.userId));

/** An exempt answer: SUCCESS, and a token of that shape which /demo/dogs refuses. */
const expectExempt = async (pending: Answer | Promise<Answer>, exemption: string) => {
  const answer = await pending;
  expect(answer).toMatchObject({ status: 'SUCCESS', exemption, tokenType: 'Bearer' });
  const claims = claimsOf(answer.token);
  expect(claims).toMatchObject({ acr: 'exempt', txn: answer.transactionId });
  expect(claims.sca).toEqual({ decision: 'exempt', exemption });
  expect(claims).not.toHaveProperty('auth_time');
  expect(claims).not.toHaveProperty('amr');
  const dogs = await fetch(`${base}/demo/dogs`, {
    headers: { authorization: `Bearer ${answer.token}` },
  });
  expect(dogs.status).toBe(401);
  expect(dogs.headers.get('www-authenticate')).toContain('insufficient_user_authentication');
  return claims;
};

describe('low value (RTS Art. 16)', () => {
  it('five €20.00 payments are exempt, the sixth needs SCA, and an SCA starts the count afresh', async () => {
    const user = await newUser();
    for (let payment = 1; payment <= 5; payment++) {
      const claims = await expectExempt(
        start(user.userId, { transaction: eur('20.00') }),
        'low_value',
      );
      expect(claims.authorization_details).toEqual([
        {
          type: 'payment_initiation',
          instructedAmount: { amount: '20.00', currency: 'EUR' },
          creditorName: 'Corner Shop',
        },
      ]);
    }
    const sixth = await start(user.userId, { transaction: eur('20.00') });
    expect(sixth).toMatchObject({ status: 'MFA_REQUIRED', requirement: { level: 'sca' } });
    const token = await passSca(user, sixth);
    expect(claimsOf(token).sca).toEqual({ decision: 'require' });
    await expectExempt(start(user.userId, { transaction: eur('20.00') }), 'low_value');
  });

  it('€30.00 is exempt and €30.01 is not; €100.00 in total is, €100.01 is not; GBP never is', async () => {
    const user = await newUser();
    expect((await start(user.userId, { transaction: eur('30.01') })).status).toBe('MFA_REQUIRED');
    await expectExempt(start(user.userId, { transaction: eur('30.00') }), 'low_value');
    await expectExempt(start(user.userId, { transaction: eur('30.00') }), 'low_value');
    await expectExempt(start(user.userId, { transaction: eur('30.00') }), 'low_value');
    expect((await start(user.userId, { transaction: eur('10.01') })).status).toBe('MFA_REQUIRED');
    await expectExempt(start(user.userId, { transaction: eur('10.00') }), 'low_value');
    const pounds = await start(user.userId, { transaction: { ...eur('1.00'), currency: 'GBP' } });
    expect(pounds.status).toBe('MFA_REQUIRED');
  });

  it('under a burst of concurrent payments, never more than five are exempt', async () => {
    const user = await newUser();
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        postJson(base, '/v1/authn', { userId: user.userId, transaction: eur('1.00') }, auth),
      ),
    );
    let exempt = 0;
    for (const answer of burst) {
      const body = await json(answer);
      // A start that lost every race is told to try again (429), never exempt by mistake.
      expect([200, 429]).toContain(answer.status);
      if (body.status === 'SUCCESS') exempt += 1;
    }
    expect(exempt).toBeGreaterThanOrEqual(1);
    expect(exempt).toBeLessThanOrEqual(5);
    // One at a time from here: exactly five in all.
    for (;;) {
      const next = await start(user.userId, { transaction: eur('1.00') });
      if (next.status !== 'SUCCESS') break;
      exempt += 1;
    }
    expect(exempt).toBe(5);
  });

  it('an unknown user (no factor) is exempt too, and counted', async () => {
    const userId = unique('newcomer');
    for (let payment = 1; payment <= 5; payment++) {
      await expectExempt(start(userId, { transaction: eur('5.00') }), 'low_value');
    }
    expect(await start(userId, { transaction: eur('5.00') })).toMatchObject({
      status: 'MFA_ENROLL',
    });
  });
});

describe('trusted beneficiaries (RTS Art. 13)', () => {
  const payee = { payeeAccount: 'DE89370400440532013000', payee: 'Landlord GmbH' };
  const payeesPath = (userId: string) => `/v1/users/${userId}/trusted-payees`;
  const send = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: auth,
        'content-type': 'application/json',
        ...(token ? { 'x-mfa-token': token } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('adding one needs a recent sca token; then a payment to it is exempt, until it is removed', async () => {
    const user = await newUser();
    const rent = {
      transaction: eur('950.00', { payeeAccount: payee.payeeAccount, payee: payee.payee }),
    };
    expect((await start(user.userId, rent)).status).toBe('MFA_REQUIRED');

    // Without a token, with a forged one, or with one that approved a payment: 401, with the
    // RFC 9470 challenge a client steps up by.
    const bare = await send('POST', payeesPath(user.userId), undefined, payee);
    expect(bare.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=300, acr_values="sca"',
    );
    await expectProblem(bare, 401, 'insufficient_user_authentication');
    await expectProblem(
      await send('POST', payeesPath(user.userId), 'not.a.token', payee),
      401,
      'insufficient_user_authentication',
    );
    const paymentToken = await passSca(
      user,
      await start(user.userId, { transaction: eur('500.00') }),
    );
    await expectProblem(
      await send('POST', payeesPath(user.userId), paymentToken, payee),
      401,
      'insufficient_user_authentication',
    );

    const token = await scaToken(user);
    const added = await send('POST', payeesPath(user.userId), token, payee);
    expect(added.status).toBe(201);
    const entry = await json(added);
    expect(entry).toEqual({ ...payee, addedAt: expect.any(String) });
    expect(Math.abs(Date.parse(entry.addedAt) - clock.now().getTime())).toBeLessThan(2000);
    const listed = await json(await send('GET', payeesPath(user.userId)));
    expect(listed).toEqual({ payees: [{ ...payee, addedAt: expect.any(String) }] });
    const event = runtime.events.list({ type: 'mfa.payee.trusted' }).at(-1);
    expect(event?.detail.payeeAccount).toBe('…3000');

    const exempt = await expectExempt(start(user.userId, rent), 'trusted_beneficiary');
    // The token names the account the exemption was decided on, beside the payment.
    expect(exempt.payee_account).toBe(payee.payeeAccount);
    expect(exempt.authorization_details).toEqual([
      {
        type: 'payment_initiation',
        instructedAmount: { amount: '950.00', currency: 'EUR' },
        creditorName: payee.payee,
      },
    ]);
    // A deny rule still wins over the exemption.
    await expectProblem(
      await postJson(
        base,
        '/v1/authn',
        { userId: user.userId, ...rent, context: { country: 'KP' } },
        auth,
      ),
      403,
      'access_denied',
    );

    // The token is good for 300 s.
    clock.advance(301);
    const removePath = `${payeesPath(user.userId)}/${payee.payeeAccount}`;
    await expectProblem(
      await send('DELETE', removePath, token),
      401,
      'insufficient_user_authentication',
    );
    expect((await send('DELETE', removePath, await scaToken(user))).status).toBe(204);
    await expectProblem(await send('DELETE', removePath, await scaToken(user)), 404, 'not_found');
    expect(await json(await send('GET', payeesPath(user.userId)))).toEqual({ payees: [] });
    expect((await start(user.userId, rent)).status).toBe('MFA_REQUIRED');
  });

  it('an mfa token (one category) cannot add one', async () => {
    const user = await newUser();
    // primaryAuth none and a default of mfa would give an mfa token: a PIN alone here.
    const started = await start(user.userId, { context: { primaryAuth: 'none' } });
    const one = await json(await verify(base, started.stateToken, user.pin, PIN, auth));
    expect(one.status).toBe('MFA_REQUIRED'); // sca needs a second category
    expect(one.requirement.level).toBe('sca');
    await expectProblem(
      await send('POST', payeesPath(user.userId), undefined, { payeeAccount: 'X1', payee: 'X' }),
      401,
      'insufficient_user_authentication',
    );
  });

  it.each(['has space', '..', '__proto__', 'GB/123', ''])(
    'payeeAccount %j is 400 naming the field, before the token is even read',
    async (payeeAccount) => {
      const user = await newUser();
      const bad = await expectProblem(
        await send('POST', payeesPath(user.userId), 'x', { payeeAccount, payee: 'X' }),
        400,
        'invalid_request',
      );
      expect(bad.detail).toContain('payeeAccount');
    },
  );

  it('one sca token makes one change', async () => {
    const user = await newUser();
    const token = await scaToken(user);
    expect((await send('POST', payeesPath(user.userId), token, payee)).status).toBe(201);
    await expectProblem(
      await send('POST', payeesPath(user.userId), token, {
        ...payee,
        payeeAccount: 'FR7630006000011234567890189',
      }),
      401,
      'insufficient_user_authentication',
    );
  });
});

describe('recurring (RTS Art. 14)', () => {
  it('the same amount and payee as a series approved with SCA is exempt; another amount is not', async () => {
    const user = await newUser();
    const gym = eur('45.00', {
      payee: 'City Gym',
      payeeAccount: 'GB33BUKB20201555555555',
      recurring: true,
    });
    await passSca(user, await start(user.userId, { transaction: gym }));
    await expectExempt(start(user.userId, { transaction: gym }), 'recurring');
    expect((await start(user.userId, { transaction: { ...gym, amount: '46.00' } })).status).toBe(
      'MFA_REQUIRED',
    );
    expect((await start(user.userId, { transaction: { ...gym, recurring: false } })).status).toBe(
      'MFA_REQUIRED',
    );
  });
});

describe('transaction risk analysis (RTS Art. 18)', () => {
  it('risk score 20 and €100.00 are exempt; score 21 or €100.01 are not', async () => {
    const user = await newUser();
    const at = (riskScore: number, amount: string) =>
      start(user.userId, { transaction: eur(amount), context: { riskScore } });
    await expectExempt(at(20, '100.00'), 'transaction_risk_analysis');
    expect((await at(21, '100.00')).status).toBe('MFA_REQUIRED');
    expect((await at(20, '100.01')).status).toBe('MFA_REQUIRED');
  });
});

describe('remembered device', () => {
  it('a device that passed SCA is exempt for 30 days; another device is not', async () => {
    const user = await newUser();
    const on = (deviceId: string) => ({ context: { deviceId } });
    await passSca(user, await start(user.userId, on('phone-1')));
    await expectExempt(start(user.userId, on('phone-1')), 'remembered_device');
    expect((await start(user.userId, on('laptop-2'))).status).toBe('MFA_REQUIRED');
    // Not a payment exemption: a payment from the remembered device still needs SCA.
    const payment = { ...on('phone-1'), transaction: eur('250000.00', { payee: 'Mule Ltd' }) };
    expect((await start(user.userId, payment)).status).toBe('MFA_REQUIRED');
    clock.advance(30 * DAY);
    expect((await start(user.userId, on('phone-1'))).status).toBe('MFA_REQUIRED');
    // The item holds the device's hash, never its id.
    const stored = JSON.stringify(
      (await deps().factors.getUser(clientId, user.userId))?.policyState,
    );
    expect(stored).not.toContain('phone-1');
  });
});
