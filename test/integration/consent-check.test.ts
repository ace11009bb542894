import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/domain/policy/index.js';
import { deps } from '../support/deps.js';
import { enroll, expectProblem, json, lastCode, unique, uniquePhone } from '../support/flows.js';
import { postJson, registerClient, startTestRuntime } from '../support/local.js';
import { selfSignedCertificate } from '../support/tls.js';

/**
 * The app's consent check (API.md "Policy": `consentCheck`) against a real HTTPS server:
 * valid → the start goes on; refused → 403 `invalid_consent`; no answer in 2 s or no server
 * → 503 `service_unavailable`; either way nothing is written and nothing counted.
 */
const tls = selfSignedCertificate();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let consentServer: Server;
let consentUrl: string;
const asked: Record<string, unknown>[] = [];

/** The app's consent service: its answer depends on the consent id. */
const answerFor: Record<string, (res: import('node:http').ServerResponse) => void> = {
  'consent-valid': (res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"valid":true}'),
  'consent-revoked': (res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"valid":false}'),
  'consent-forbidden': (res) => res.writeHead(403).end('{"valid":true}'),
  'consent-moved': (res) => res.writeHead(302, { location: 'https://example.com/' }).end(),
  'consent-garbled': (res) => res.writeHead(200).end('valid'),
  'consent-slow': () => {}, // never answers
};

const appWithCheck = async (url: string) => {
  const clientId = unique('psp');
  // As an operator writes it: a JSON document.
  const policy = parsePolicy(`{
    "version": 1,
    "rules": [{ "id": "sanctioned", "if": { "country": { "in": ["KP"] } }, "then": "deny" }],
    "consentCheck": { "url": ${JSON.stringify(url)} }
  }`);
  return { clientId, auth: await registerClient(clientId, 'psp-secret-1', policy) };
};

beforeAll(async () => {
  consentServer = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as { consentId: string };
      asked.push(body);
      answerFor[body.consentId]?.(res);
    });
  });
  await new Promise<void>((resolve) => consentServer.listen(0, '127.0.0.1', resolve));
  consentUrl = `https://127.0.0.1:${(consentServer.address() as AddressInfo).port}/consents/check`;
  runtime = await startTestRuntime({ consentCheckCa: tls.cert });
});
afterAll(async () => {
  consentServer?.closeAllConnections();
  await new Promise((resolve) => consentServer?.close(resolve));
  await runtime?.close();
});

/** A user of `auth`'s app with an active SMS factor. */
const userOf = async (auth: string) => {
  const userId = unique('consumer');
  const phone = uniquePhone();
  const sms = await json(
    await enroll(runtime.url, userId, { type: 'sms', phoneNumber: phone }, auth),
  );
  await postJson(
    runtime.url,
    `/v1/users/${userId}/factors/${sms.factor.id}/activate`,
    { passCode: await lastCode(runtime.url, phone) },
    auth,
  );
  return userId;
};

const payment = { amount: '12.00', currency: 'EUR', payee: 'Data Co' };

describe('consent check', () => {
  it('a valid consent: the start goes on, and the app was asked with the consent, user and transaction', async () => {
    const { auth } = await appWithCheck(consentUrl);
    const userId = await userOf(auth);
    const started = await postJson(
      runtime.url,
      '/v1/authn',
      { userId, consentId: 'consent-valid', transaction: payment },
      auth,
    );
    expect(started.status).toBe(200);
    expect((await json(started)).status).toBe('MFA_REQUIRED');
    expect(asked.at(-1)).toEqual({ consentId: 'consent-valid', userId, transaction: payment });
  });

  it.each([
    ['consent-revoked', '{ "valid": false }'],
    ['consent-forbidden', 'a 403'],
    ['consent-moved', 'a redirect'],
    ['consent-garbled', 'a body that is not JSON'],
  ])('%s (%s) → 403 invalid_consent, nothing written', async (consentId) => {
    const { clientId, auth } = await appWithCheck(consentUrl);
    const userId = await userOf(auth);
    const before = await deps().factors.getUser(clientId, userId);
    const answer = await postJson(
      runtime.url,
      '/v1/authn',
      { userId, consentId, transaction: payment },
      auth,
    );
    const problem = await expectProblem(answer, 403, 'invalid_consent');
    expect(problem.transactionId).toEqual(expect.any(String));
    expect(await deps().factors.getUser(clientId, userId)).toEqual(before);
  });

  it('no answer within 2 s, or no server at all → 503 service_unavailable, nothing written', async () => {
    const { clientId, auth } = await appWithCheck(consentUrl);
    const userId = await userOf(auth);
    const before = await deps().factors.getUser(clientId, userId);
    const startedAt = Date.now();
    await expectProblem(
      await postJson(runtime.url, '/v1/authn', { userId, consentId: 'consent-slow' }, auth),
      503,
      'service_unavailable',
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1900);

    const closed = await appWithCheck('https://127.0.0.1:1/consents/check');
    const other = await userOf(closed.auth);
    const refused = await postJson(
      runtime.url,
      '/v1/authn',
      { userId: other, consentId: 'consent-valid' },
      closed.auth,
    );
    expect(refused.headers.get('retry-after')).toBe('1');
    await expectProblem(refused, 503, 'service_unavailable');
    expect(await deps().factors.getUser(clientId, userId)).toEqual(before);
  });

  it('is not asked without a consent id, nor when a deny rule matches', async () => {
    const { auth } = await appWithCheck(consentUrl);
    const userId = await userOf(auth);
    const count = asked.length;
    expect((await json(await postJson(runtime.url, '/v1/authn', { userId }, auth))).status).toBe(
      'MFA_REQUIRED',
    );
    await expectProblem(
      await postJson(
        runtime.url,
        '/v1/authn',
        { userId, consentId: 'consent-valid', context: { country: 'KP' } },
        auth,
      ),
      403,
      'access_denied',
    );
    expect(asked).toHaveLength(count);
  });
});
