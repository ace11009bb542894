import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Policy, parsePolicy } from '../../shared/domain/policy/index.js';
import { openApiDocument } from '../../shared/openapi/document.js';
import { routes } from '../../shared/routes.js';
import { testClock, unique, uniquePhone, wrongCode } from '../support/flows.js';
import { basicAuth, registerClient, startTestRuntime } from '../support/local.js';
import { openApiClient, type Validated } from '../support/openapi-validator.js';
import {
  assert as assertPasskey,
  newCredential,
  register,
} from '../support/webauthn-authenticator.js';

/**
 * Every answer here is validated against the document the service serves at /openapi.json
 * (its route, status, content type, schema and required headers; objects strict), through a
 * full flow and the negative cases; the last test asserts every route of the table was
 * covered by at least one validated answer.
 */
const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let api: ReturnType<typeof openApiClient>;
let bank: string;

const POLICY: Policy = parsePolicy(`{
  "version": 1,
  "rules": [{ "id": "sanctioned", "if": { "country": { "in": ["KP"] } }, "then": "deny" }],
  "exemptions": {
    "lowValue": { "currency": "EUR", "maxAmount": "30.00", "maxCumulative": "100.00", "maxCount": 5 }
  },
  "default": { "require": "sca" }
}`);

beforeAll(async () => {
  runtime = await startTestRuntime({ clock });
  bank = await registerClient(unique('bank'), 'bank-secret', POLICY);
  const served = await fetch(`${runtime.url}/openapi.json`);
  api = openApiClient(runtime.url, (await served.json()) as Parameters<typeof openApiClient>[1]);
});
afterAll(async () => {
  await runtime?.close();
});

const post = (path: string, body: unknown, auth = basicAuth(), headers = {}) =>
  api.call('POST', path, { body, auth, headers });
const refused = async (answer: Promise<Validated>, status: number, code: string) => {
  const { status: got, body } = await answer;
  expect({ status: got, code: body?.code }).toEqual({ status, code });
  return body;
};
const outboxCode = async (to: string) => {
  const outbox = await fetch(`${runtime.url}/_local/outbox?to=${encodeURIComponent(to)}`);
  const { messages } = (await outbox.json()) as { messages: { body: string }[] };
  return /\d{6,8}/.exec(messages.at(-1)?.body ?? '')?.[0] as string;
};
const users = (userId: string) => `/v1/users/${encodeURIComponent(userId)}`;
const step = (factorId: string, action: 'challenge' | 'verify') =>
  `/v1/authn/factors/${factorId}/${action}`;

/** Enrolls and activates an email or sms factor (validated all the way); returns its id. */
const activeFactor = async (userId: string, to: string, auth = basicAuth()) => {
  const body = to.includes('@') ? { type: 'email', email: to } : { type: 'sms', phoneNumber: to };
  const enrolled = await post(`${users(userId)}/factors`, body, auth);
  expect(enrolled.status).toBe(201);
  const factorId = enrolled.body.factor.id as string;
  const passCode = await outboxCode(to);
  const activated = await post(`${users(userId)}/factors/${factorId}/activate`, { passCode }, auth);
  expect(activated.body.factor.status).toBe('ACTIVE');
  return factorId;
};

describe('public routes', () => {
  it('serve what the document says, and the document is the one the code builds', async () => {
    const none = { auth: null };
    expect((await api.call('GET', '/health', none)).status).toBe(200);
    expect((await api.call('GET', '/.well-known/jwks.json', none)).body.keys).toHaveLength(1);
    const openid = await api.call('GET', '/.well-known/openid-configuration', none);
    expect(openid.body.issuer).toBe(runtime.url);
    const served = await api.call('GET', '/openapi.json', none);
    expect(served.body).toEqual(openApiDocument({ serverUrl: runtime.url }));
    expect(served.headers.get('cache-control')).toBe('public, max-age=300');
    expect((await api.call('GET', '/demo', none)).status).toBe(200);
  });
});

describe('a full flow: email factor, start, challenge, verify, the demo routes', () => {
  const userId = unique('oa-user');
  const email = `${unique('oa')}@example.com`;
  let factorId: string;

  it('enrolls an email factor and activates it with the code from the outbox', async () => {
    const enrolled = await post(`${users(userId)}/factors`, { type: 'email', email });
    expect(enrolled.status).toBe(201);
    factorId = enrolled.body.factor.id;
    const activate = `${users(userId)}/factors/${factorId}/activate`;
    const wrong = { passCode: wrongCode(await outboxCode(email)) };
    await refused(post(activate, wrong), 401, 'invalid_passcode');
    expect((await post(activate, { passCode: await outboxCode(email) })).status).toBe(200);
    expect((await api.call('GET', `${users(userId)}/factors`)).body.factors).toHaveLength(1);
    await refused(post(`${users(userId)}/factors`, { type: 'email', email }), 409, 'factor_exists');
  });

  it('starts, challenges, verifies; the token opens /demo/dogs and /demo/cats', async () => {
    const payment = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };
    const context = { primaryAuth: 'knowledge' };
    const started = await post('/v1/authn', { userId, context, transaction: payment });
    expect(started.body.status).toBe('MFA_REQUIRED');
    const { stateToken } = started.body;
    const early = post(step(factorId, 'verify'), { stateToken, passCode: '123456' });
    await refused(early, 409, 'invalid_state');
    const challenged = await post(step(factorId, 'challenge'), { stateToken });
    expect(challenged.body.status).toBe('MFA_CHALLENGE');
    await refused(post(step(factorId, 'challenge'), { stateToken }), 429, 'resend_too_soon');
    const code = await outboxCode(email);
    const wrong = post(step(factorId, 'verify'), { stateToken, passCode: wrongCode(code) });
    await refused(wrong, 401, 'invalid_passcode');
    const status = await post('/v1/authn/status', { stateToken });
    expect(status.body).toMatchObject({ status: 'MFA_CHALLENGE', attemptsRemaining: 4 });
    const verified = await post(step(factorId, 'verify'), { stateToken, passCode: code });
    expect(verified.body.status).toBe('SUCCESS');
    await refused(post('/v1/authn/cancel', { stateToken }), 409, 'invalid_state');

    const bearer = { auth: `Bearer ${verified.body.token}` };
    expect((await api.call('GET', '/demo/dogs', bearer)).body.sub).toBe(userId);
    expect((await api.call('GET', '/demo/cats', bearer)).status).toBe(200);
    // One category proven (knowledge, by the app's sign-in): mfa, not sca.
    const payments = api.call('GET', '/demo/payments', bearer);
    await refused(payments, 401, 'insufficient_user_authentication');
    clock.advance(61);
    const stale = api.call('GET', '/demo/cats', bearer);
    await refused(stale, 401, 'insufficient_user_authentication');
    await refused(api.call('GET', '/demo/dogs', { auth: null }), 401, 'invalid_token');
  });

  it('recovery codes: the enroll answer shows them; one verifies (mfa), then is spent', async () => {
    const enrolled = await post(`${users(userId)}/factors`, { type: 'recovery_code' });
    expect(enrolled.body.activation.codes).toHaveLength(10);
    const codeId = enrolled.body.factor.id;
    const started = await post('/v1/authn', { userId });
    const { stateToken } = started.body;
    const code = enrolled.body.activation.codes[0];
    expect((await post(step(codeId, 'verify'), { stateToken, passCode: code })).body.status).toBe(
      'SUCCESS',
    );
    const again = await post('/v1/authn', { userId });
    const reused = post(step(codeId, 'verify'), {
      stateToken: again.body.stateToken,
      passCode: code,
    });
    await refused(reused, 401, 'invalid_passcode');
    const listed = await api.call('GET', `${users(userId)}/factors`);
    const codes = listed.body.factors.find((f: { id: string }) => f.id === codeId);
    expect(codes.profile).toEqual({ remaining: 9 });
  });

  it('a PIN and the app sign-in reach sca: /demo/payments and the trusted payees', async () => {
    const pin = await post(`${users(userId)}/factors`, { type: 'pin', pin: '274913' });
    expect(pin.body.factor.status).toBe('ACTIVE');
    const pinId = pin.body.factor.id;
    const scaToken = async () => {
      const started = await post('/v1/authn', { userId, context: { primaryAuth: 'possession' } });
      const { stateToken } = started.body;
      expect((await post(step(pinId, 'challenge'), { stateToken })).status).toBe(200);
      const verified = await post(step(pinId, 'verify'), { stateToken, passCode: '274913' });
      return verified.body.token as string;
    };
    const token = await scaToken();
    expect((await api.call('GET', '/demo/payments', { auth: `Bearer ${token}` })).status).toBe(200);

    const payees = `${users(userId)}/trusted-payees`;
    const payee = { payeeAccount: 'GB33BUKB20201555555555', payee: 'ACME Ltd' };
    // A token makes one change: a fresh one each time.
    const sca = async () => ({ 'x-mfa-token': await scaToken() });
    await refused(post(payees, payee), 401, 'insufficient_user_authentication');
    expect((await post(payees, payee, basicAuth(), await sca())).status).toBe(201);
    expect((await api.call('GET', payees)).body.payees).toHaveLength(1);
    const one = `${payees}/${payee.payeeAccount}`;
    expect((await api.call('DELETE', one, { headers: await sca() })).status).toBe(204);
    await refused(api.call('DELETE', one, { headers: await sca() }), 404, 'not_found');
  });

  it('resends a pending code after the cooldown, then deletes the factor', async () => {
    const enrolled = await post(`${users(userId)}/factors`, {
      type: 'sms',
      phoneNumber: uniquePhone(),
    });
    const pending = `${users(userId)}/factors/${enrolled.body.factor.id}`;
    await refused(post(`${pending}/resend`, {}), 429, 'resend_too_soon');
    clock.advance(31);
    expect((await api.call('POST', `${pending}/resend`)).status).toBe(200); // no body: {}
    expect((await api.call('DELETE', pending)).status).toBe(204);
    await refused(api.call('DELETE', pending), 404, 'not_found');
  });
});

describe('the policy decides: deny, exempt, enroll, factor sequencing', () => {
  it('answers each start kind, and a second factor for sca', async () => {
    const start = (body: unknown) => post('/v1/authn', body, bank);
    const denied = await refused(
      start({ userId: unique('oa'), context: { country: 'KP' } }),
      403,
      'access_denied',
    );
    expect(denied).toMatchObject({ rule: 'sanctioned' });
    const small = { amount: '5.00', currency: 'EUR', payee: 'Corner Shop' };
    const exempt = await start({ userId: unique('oa'), transaction: small });
    expect(exempt.body).toMatchObject({ status: 'SUCCESS', exemption: 'low_value' });
    expect((await start({ userId: unique('oa') })).body.status).toBe('MFA_ENROLL');

    const userId = unique('oa-sca');
    const phone = uniquePhone();
    const smsId = await activeFactor(userId, phone, bank);
    const pin = await post(`${users(userId)}/factors`, { type: 'pin', pin: '274913' }, bank);
    const { stateToken } = (await start({ userId })).body;
    await post(step(smsId, 'challenge'), { stateToken }, bank);
    const code = await outboxCode(phone);
    const first = await post(step(smsId, 'verify'), { stateToken, passCode: code }, bank);
    expect(first.body).toMatchObject({ status: 'MFA_REQUIRED', stateToken });
    const pinId = pin.body.factor.id;
    const second = await post(step(pinId, 'verify'), { stateToken, passCode: '274913' }, bank);
    expect(second.body.status).toBe('SUCCESS');
  });
});

describe('negative cases', () => {
  it('answers the contract codes, each as the document describes it', async () => {
    const factors = `${users('u1')}/factors`;
    await refused(post('/v1/authn', {}), 400, 'invalid_request');
    await refused(api.call('GET', '/v1/users/no%20spaces/factors'), 400, 'invalid_request');
    await refused(post(factors, { type: 'pin', pin: '123456' }), 400, 'weak_pin');
    const badPhone = post(factors, { type: 'sms', phoneNumber: '+1' });
    await refused(badPhone, 400, 'invalid_phone_number');
    const wrongSecret = post('/v1/authn', { userId: 'u1' }, basicAuth('demo', 'wrong'));
    await refused(wrongSecret, 401, 'invalid_client');
    const unknown = { stateToken: `${'A'.repeat(43)}.${'B'.repeat(43)}` };
    await refused(post('/v1/authn/status', unknown), 404, 'not_found');
    await refused(api.call('DELETE', `${factors}/nope`), 404, 'not_found');
    await refused(api.call('GET', '/v1/nothing-here'), 404, 'not_found');
    await refused(api.call('GET', '/v1/authn'), 405, 'method_not_allowed');
    const large = post('/v1/authn', { userId: 'u1', pad: 'x'.repeat(17_000) });
    await refused(large, 413, 'payload_too_large');
    const text = post('/v1/authn', 'userId=u1', basicAuth(), { 'content-type': 'text/plain' });
    await refused(text, 415, 'unsupported_media_type');
  });

  it('cancels, and answers 410 expired and 403 locked_out on transactions', async () => {
    const userId = unique('oa-neg');
    const email = `${unique('oa')}@example.com`;
    const factorId = await activeFactor(userId, email);
    const first = (await post('/v1/authn', { userId })).body.stateToken;
    expect((await post('/v1/authn/cancel', { stateToken: first })).body.status).toBe('CANCELLED');
    const stale = (await post('/v1/authn', { userId })).body.stateToken;
    clock.advance(301);
    await refused(post(step(factorId, 'challenge'), { stateToken: stale }), 410, 'expired');
    const { stateToken } = (await post('/v1/authn', { userId })).body;
    await post(step(factorId, 'challenge'), { stateToken });
    const wrong = { stateToken, passCode: wrongCode(await outboxCode(email)) };
    for (let attempt = 1; attempt < 5; attempt += 1) {
      await refused(post(step(factorId, 'verify'), wrong), 401, 'invalid_passcode');
    }
    await refused(post(step(factorId, 'verify'), wrong), 403, 'locked_out');
  });
});

describe('coverage', () => {
  it('validates a passkey flow: creation options, request options with SPC data, invalid_credential', async () => {
    const userId = unique('openapi-passkey');
    const origin = `http://localhost:${new URL(runtime.url).port}`;
    const enrolled = await post(`${users(userId)}/factors`, {
      type: 'webauthn',
      displayName: 'Laptop',
    });
    expect(enrolled.status).toBe(201);
    const factorId = enrolled.body.factor.id as string;
    const cred = newCredential();
    const ceremony = (challenge: string) => ({ challenge, origin, rpId: 'localhost' });
    const activated = await post(`${users(userId)}/factors/${factorId}/activate`, {
      credential: register(cred, ceremony(enrolled.body.activation.publicKey.challenge)),
    });
    expect(activated.status).toBe(200);
    const started = await post('/v1/authn', {
      userId,
      transaction: { amount: '10.00', currency: 'EUR', payee: 'Acme Ltd' },
    });
    const { stateToken } = started.body;
    const challenged = await post(step(factorId, 'challenge'), { stateToken });
    expect(challenged.body.securePaymentConfirmation).toBeDefined();
    await refused(
      post(step(factorId, 'verify'), {
        stateToken,
        credential: assertPasskey(cred, ceremony(Buffer.alloc(32).toString('base64url'))),
      }),
      401,
      'invalid_credential',
    );
    const verified = await post(step(factorId, 'verify'), {
      stateToken,
      credential: assertPasskey(cred, ceremony(challenged.body.publicKey.challenge)),
    });
    expect(verified.body.status).toBe('SUCCESS');
  });

  it('validated at least one answer of every route in the table', () => {
    const missing = routes
      .map((route) => `${route.method} ${route.path}`)
      .filter((key) => !api.covered.has(key));
    expect(missing).toEqual([]);
  });
});
