import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MfaApiError, MfaClient } from '../../client/index.js';
import { parsePolicy } from '../../shared/domain/policy/index.js';
import { lastCode, testClock, unique, uniquePhone, wrongCode } from '../support/flows.js';
import { CLIENT, registerClient, startTestRuntime } from '../support/local.js';

/** The typed client against the real local runtime: the email flow and its refusals. */
const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let mfa: MfaClient;
const servers: Server[] = [];
const payment = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };
const clientFor = (clientId: string, clientSecret: string, timeoutMs?: number, url = runtime.url) =>
  new MfaClient({ baseUrl: url, clientId, clientSecret, ...(timeoutMs ? { timeoutMs } : {}) });

beforeAll(async () => {
  runtime = await startTestRuntime({ clock });
  mfa = clientFor(CLIENT.id, CLIENT.secret);
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await runtime?.close();
});

/** The rejection of `call`: an `MfaApiError` with this status and code. */
const refused = async (call: Promise<unknown>, status: number, code: string) => {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MfaApiError);
  expect({ status: (error as MfaApiError).status, code: (error as MfaApiError).code }).toEqual({
    status,
    code,
  });
  return error as MfaApiError;
};

/** A user id the path must %-encode (`@`, `:`), with an active email factor. */
const emailUser = async (client = mfa) => {
  const userId = `${unique('tc')}@shop:eu`;
  const email = `${unique('mail')}@example.com`;
  const { factor } = await client.enrollFactor(userId, { type: 'email', email });
  await client.activateFactor(userId, factor.id, { passCode: await lastCode(runtime.url, email) });
  return { userId, email, factorId: factor.id };
};

/** A started transaction that must need MFA (narrows the start's union). */
const required = async (client: MfaClient, request: Parameters<MfaClient['startAuthn']>[0]) => {
  const started = await client.startAuthn(request);
  if (started.status !== 'MFA_REQUIRED') throw new Error(`start answered ${started.status}`);
  return started;
};

describe('MfaClient against the local runtime', () => {
  it('the email flow: enroll, activate, list, start, challenge, status, verify, keys, delete', async () => {
    const userId = `${unique('tc')}@shop:eu`;
    const email = `${unique('mail')}@example.com`;
    const enrolled = await mfa.enrollFactor(userId, { type: 'email', email });
    expect(enrolled.factor).toMatchObject({ type: 'email', status: 'PENDING_ACTIVATION' });
    expect(enrolled.factor.profile.email).not.toBe(email);
    expect(enrolled.activation?.expiresAt).toEqual(expect.any(String));
    const factorId = enrolled.factor.id;
    const passCode = await lastCode(runtime.url, email);
    const activated = await mfa.activateFactor(userId, factorId, { passCode });
    expect(activated.factor.status).toBe('ACTIVE');
    expect((await mfa.listFactors(userId)).factors.map((f) => [f.id, f.status])).toEqual([
      [factorId, 'ACTIVE'],
    ]);

    const started = await required(mfa, { userId, transaction: payment, consentId: 'consent-7' });
    expect(started.requirement).toEqual({ level: 'mfa', categories: [] });
    expect(started.factors.map((factor) => factor.id)).toEqual([factorId]);
    const { stateToken, transactionId } = started;
    const challenged = await mfa.challenge(factorId, { stateToken });
    expect(challenged).toMatchObject({ status: 'MFA_CHALLENGE', factorId });
    expect(await mfa.status({ stateToken })).toMatchObject({
      status: 'MFA_CHALLENGE',
      transactionId,
    });
    const code = await lastCode(runtime.url, email);
    const verified = await mfa.verify(factorId, { stateToken, passCode: code });
    if (verified.status !== 'SUCCESS') throw new Error('verify did not succeed');
    expect(verified).toMatchObject({
      transactionId,
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
    });

    const { issuer } = await mfa.openidConfiguration();
    const jwks = createLocalJWKSet((await mfa.jwks()) as JSONWebKeySet);
    const { payload } = await jwtVerify(verified.token, jwks, { issuer, audience: CLIENT.id });
    expect(payload).toMatchObject({ sub: userId, txn: transactionId, consent_id: 'consent-7' });
    expect((await mfa.status({ stateToken })).status).toBe('SUCCESS');

    expect(await mfa.deleteFactor(userId, factorId)).toBeUndefined();
    expect((await mfa.listFactors(userId)).factors).toEqual([]);
    const again = await mfa.startAuthn({ userId });
    expect(again).toMatchObject({ status: 'MFA_ENROLL', factors: [] });
  });

  it('resendActivation: 429 resend_too_soon with retryAfter, then a fresh code that activates', async () => {
    const userId = unique('tc');
    const email = `${unique('mail')}@example.com`;
    const { factor } = await mfa.enrollFactor(userId, { type: 'email', email });
    const tooSoon = await refused(mfa.resendActivation(userId, factor.id), 429, 'resend_too_soon');
    expect(tooSoon.retryAfter).toBeGreaterThan(0);
    expect(tooSoon.retryAfter).toBeLessThanOrEqual(30);
    expect(tooSoon.requestId).toMatch(/^[0-9a-f-]{36}$/);
    clock.advance(31);
    const resent = await mfa.resendActivation(userId, factor.id);
    expect(resent).toMatchObject({
      factor: { id: factor.id },
      activation: { expiresAt: expect.any(String) },
    });
    const passCode = await lastCode(runtime.url, email);
    expect((await mfa.activateFactor(userId, factor.id, { passCode })).factor.status).toBe(
      'ACTIVE',
    );
  });

  it('factor sequencing under an sca policy: verify answers MFA_REQUIRED, then SUCCESS', async () => {
    const policy = parsePolicy(
      '{"version":1,"rules":[{"id":"big","if":{"amount":{"gte":"100.00","currency":"EUR"}},"then":{"require":"sca"}}],"default":{"require":"mfa"}}',
    );
    await registerClient('tc-sca', 'tc-sca-secret', policy);
    const app = clientFor('tc-sca', 'tc-sca-secret');
    const userId = unique('tc');
    const phone = uniquePhone();
    const sms = (await app.enrollFactor(userId, { type: 'sms', phoneNumber: phone })).factor;
    await app.activateFactor(userId, sms.id, { passCode: await lastCode(runtime.url, phone) });
    const pin = await app.enrollFactor(userId, { type: 'pin', pin: 'walnut-7741' });
    expect(pin.factor.status).toBe('ACTIVE');
    const started = await required(app, { userId, transaction: payment });
    expect(started.requirement.level).toBe('sca');
    const { stateToken } = started;
    const first = await app.verify(pin.factor.id, { stateToken, passCode: 'walnut-7741' });
    if (first.status !== 'MFA_REQUIRED') throw new Error('a PIN alone met sca');
    expect(first.stateToken).toBe(stateToken);
    expect(first.requirement.categories).not.toContain('knowledge');
    expect(first.factors.map((factor) => factor.id)).toEqual([sms.id]);
    await app.challenge(sms.id, { stateToken });
    const last = await app.verify(sms.id, {
      stateToken,
      passCode: await lastCode(runtime.url, phone),
    });
    expect(last.status).toBe('SUCCESS');
  });
});

describe('MfaClient refusals: the exact status and code', () => {
  it('a wrong code: 401 invalid_passcode with attemptsRemaining (verify and activate)', async () => {
    const { userId, email, factorId } = await emailUser();
    const { stateToken } = await required(mfa, { userId });
    await mfa.challenge(factorId, { stateToken });
    const passCode = wrongCode(await lastCode(runtime.url, email));
    const wrong = await refused(
      mfa.verify(factorId, { stateToken, passCode }),
      401,
      'invalid_passcode',
    );
    expect(wrong).toMatchObject({ attemptsRemaining: 4, title: 'Invalid passcode' });
    expect(wrong.extras).toEqual({ attemptsRemaining: 4 });
    const other = `${unique('mail')}@example.com`;
    const pending = (await mfa.enrollFactor(userId, { type: 'email', email: other })).factor;
    const badActivation = mfa.activateFactor(userId, pending.id, { passCode: '000000' });
    expect((await refused(badActivation, 401, 'invalid_passcode')).attemptsRemaining).toBe(4);
  });

  it('unknown state token or factor: 404 not_found; a cancelled transaction: 409 invalid_state', async () => {
    const unknown = { stateToken: 'st_unknown_0123456789abcdef' };
    await refused(mfa.status(unknown), 404, 'not_found');
    await refused(mfa.challenge('email_x', unknown), 404, 'not_found');
    const { userId, factorId } = await emailUser();
    await refused(mfa.deleteFactor(userId, 'email_aaaaaaaaaaaaaaaaaaaa'), 404, 'not_found');
    const { stateToken } = await required(mfa, { userId });
    await refused(mfa.verify(factorId, { stateToken, passCode: '123456' }), 409, 'invalid_state');
    expect(await mfa.cancel({ stateToken })).toEqual({ status: 'CANCELLED' });
    expect((await mfa.status({ stateToken })).status).toBe('CANCELLED');
    await refused(mfa.challenge(factorId, { stateToken }), 409, 'invalid_state');
  });

  it('a bad body: 400 invalid_request naming the field; a wrong secret: 401 invalid_client', async () => {
    const bad = await refused(
      mfa.startAuthn({ userId: 'no spaces allowed' }),
      400,
      'invalid_request',
    );
    expect(bad.detail).toContain('userId');
    await refused(mfa.listFactors('has space'), 400, 'invalid_request');
    const wrong = clientFor(CLIENT.id, 'wrong-secret');
    const error = await refused(wrong.listFactors('u-1'), 401, 'invalid_client');
    expect(error.wwwAuthenticate).toBe('Basic realm="mfa"');
  });

  it('a policy deny: 403 access_denied with the rule and the transactionId', async () => {
    const policy = parsePolicy(
      '{"version":1,"rules":[{"id":"sanctioned","if":{"country":{"in":["KP"]}},"then":"deny"}]}',
    );
    await registerClient('tc-deny', 'tc-deny-secret', policy);
    const app = clientFor('tc-deny', 'tc-deny-secret');
    const denied = await refused(
      app.startAuthn({ userId: 'u-1', context: { country: 'KP' } }),
      403,
      'access_denied',
    );
    expect(denied).toMatchObject({ rule: 'sanctioned', transactionId: expect.any(String) });
  });

  it('no service: network_error; no answer: timeout; an HTML page: invalid_response', async () => {
    const listen = async (handler: Parameters<typeof createServer>[1]) => {
      const server = createServer(handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const closed = await listen(() => {});
    servers.pop()?.close();
    await refused(clientFor('demo', 's', 0, closed).jwks(), 0, 'network_error');
    await refused(clientFor('demo', 's', 200, await listen(() => {})).jwks(), 0, 'timeout');
    const proxy = await listen((_, res) => {
      res
        .writeHead(502, { 'content-type': 'text/html', 'x-request-id': 'proxy-1' })
        .end('<h1>Bad gateway</h1>');
    });
    const page = await refused(
      clientFor('demo', 's', 0, proxy).listFactors('u'),
      502,
      'invalid_response',
    );
    expect(page.requestId).toBe('proxy-1');
  });
});
