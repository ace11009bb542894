/**
 * The smoke flow (`npm run smoke`): the whole step-up flow against one deployment, purely over
 * HTTP: enroll and activate a factor for a fresh user, start a payment authentication,
 * challenge, verify, check the MFA token against the published keys, and call the demo routes
 * the MFA authorizer protects. One line per step; the first failure stops the run. The API
 * calls go through the typed client (`client/`), as an app's would; health, the demo routes
 * and the message stores are plain HTTP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { type FetchLike, MfaApiError, MfaClient } from '../client/index.js';
import { TOTP_PERIOD_SECONDS, totpCode } from '../shared/domain/totp.js';
import {
  check,
  codeIn,
  createHttp,
  expectStatus,
  fromBase32,
  localOutbox,
  localStackSes,
  waitForMessage,
} from './smoke-http.js';

export interface SmokeOptions {
  /** The API's base URL (the stack's `ApiUrl` output, or the local runtime's URL). */
  readonly baseUrl: string;
  /** @default 'demo' (the local runtime's seeded client) */
  readonly clientId?: string;
  /** @default 'demo-secret' */
  readonly clientSecret?: string;
  /** `email`: codes read from an outbox; `totp`: codes computed here (works on real AWS). @default 'email' */
  readonly factor?: 'email' | 'totp';
  /** Read codes from LocalStack's SES store instead of the local runtime's outbox. */
  readonly localstack?: boolean;
  /** Base URL of the message store. @default baseUrl, or http://localhost:4566 with `localstack` */
  readonly outboxUrl?: string;
  /** @default 10_000 */
  readonly requestTimeoutMs?: number;
  /** @default 60_000 */
  readonly totalTimeoutMs?: number;
  /** Where step lines go. @default stdout */
  readonly print?: (line: string) => void;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly steps: { readonly name: string; readonly ms: number }[];
  readonly failed?: { readonly step: string; readonly reason: string };
}

const PAYMENT = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };

/** Runs the flow; never throws: a failure is reported in the result (and printed). */
export const runSmoke = async (options: SmokeOptions): Promise<SmokeResult> => {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.baseUrl.replace(/\/+$/, '');
  const clientId = options.clientId ?? 'demo';
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const deadline = AbortSignal.timeout(options.totalTimeoutMs ?? 60_000);
  const http = createHttp({ timeoutMs, deadline });
  // The client's fetch: inside the run's deadline, and the status kept for the steps to check.
  let lastStatus = 0;
  const fetchInRun: FetchLike = async (url, init) => {
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const response = await fetch(url, { ...init, signal });
    lastStatus = response.status;
    return response;
  };
  // Made at its first use: a base URL it refuses fails the health step first, as before.
  let client: MfaClient | undefined;
  const mfa = () => {
    client ??= new MfaClient({
      baseUrl: base,
      clientId,
      clientSecret: options.clientSecret ?? 'demo-secret',
      fetch: fetchInRun,
      timeoutMs,
      // LocalStack's API URLs (`….execute-api.localhost.localstack.cloud:4566`) are plain
      // http to this machine under another name.
      allowInsecureHttp: options.localstack === true,
    });
    return client;
  };
  const outboxBase = (
    options.outboxUrl ?? (options.localstack ? 'http://localhost:4566' : base)
  ).replace(/\/+$/, '');
  const messages = (options.localstack ? localStackSes : localOutbox)(http, outboxBase);
  const steps: { name: string; ms: number }[] = [];
  let current = '';

  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    current = name;
    const started = performance.now();
    if (deadline.aborted) throw new Error('the whole run took too long');
    const value = await run();
    const ms = Math.round(performance.now() - started);
    steps.push({ name, ms });
    print(`✓ ${name} (${ms} ms)`);
    return value;
  };
  /** One API call that must answer `status`; a refusal reads as before: status and code. */
  const api = async <T>(status: number, call: (client: MfaClient) => Promise<T>): Promise<T> => {
    lastStatus = 0;
    try {
      const body = await call(mfa());
      check(lastStatus === status, `expected HTTP ${status}, got ${lastStatus}`);
      return body;
    } catch (error) {
      if (deadline.aborted) throw new Error('the whole run took too long');
      if (!(error instanceof MfaApiError)) throw error;
      // No answer: the client's own words (the route, never the user or a secret).
      if (error.status === 0) throw new Error(error.detail);
      const problem = error.code === 'invalid_response' ? '' : ` ${error.code} (${error.detail})`;
      throw new Error(`expected HTTP ${status}, got ${error.status}${problem}`);
    }
  };

  const totp = options.factor === 'totp';
  const userId = `smoke-${randomUUID()}`;
  const email = `smoke-${randomBytes(6).toString('hex')}@example.com`;
  const consentId = `consent-${randomUUID()}`;
  const codeFor = (secret: Uint8Array, stepOffset: number) =>
    totpCode(secret, Math.floor(Date.now() / 1000 / TOTP_PERIOD_SECONDS) + stepOffset);
  try {
    await step('health', async () => {
      const body = expectStatus(await http(`${base}/health`), 200);
      check(body.status === 'ok', 'health status is not "ok"');
    });
    const enrolled = await step(`enroll ${totp ? 'totp' : 'email'} factor`, async () => {
      const request = totp ? ({ type: 'totp' } as const) : ({ type: 'email', email } as const);
      const body = await api(201, (c) => c.enrollFactor(userId, request));
      check(
        body.factor?.status === 'PENDING_ACTIVATION',
        'the new factor is not PENDING_ACTIVATION',
      );
      check(!JSON.stringify(body.factor).includes(email), 'the factor shows the full address');
      if (totp) check(typeof body.activation?.secret === 'string', 'no TOTP secret at enrollment');
      return { factorId: String(body.factor.id), secret: body.activation?.secret as string };
    });
    const { factorId } = enrolled;
    const secret = totp ? fromBase32(enrolled.secret) : new Uint8Array();
    const activationCode = totp
      ? codeFor(secret, 0)
      : await step('read activation code', async () => {
          const code = codeIn(await waitForMessage(messages, email, 1, timeoutMs));
          check(code, 'no code in the activation message');
          return code as string;
        });
    await step('activate factor', async () => {
      const request = { passCode: activationCode };
      const body = await api(200, (c) => c.activateFactor(userId, factorId, request));
      check(body.factor?.status === 'ACTIVE', 'the factor is not ACTIVE');
    });
    const started = await step('start authn (payment)', async () => {
      const context = { ip: '203.0.113.7', userAgent: 'mfa-smoke' };
      const request = { userId, context, transaction: PAYMENT, consentId };
      const body = await api(200, (c) => c.startAuthn(request));
      if (body.status !== 'MFA_REQUIRED') {
        throw new Error(`status ${body.status}, expected MFA_REQUIRED`);
      }
      check(
        body.factors?.some((factor) => factor.id === factorId),
        'the active factor is not offered',
      );
      check(typeof body.stateToken === 'string', 'no stateToken');
      return { stateToken: String(body.stateToken), transactionId: String(body.transactionId) };
    });
    const { stateToken } = started;
    await step(`challenge ${totp ? 'totp' : 'email'} factor`, async () => {
      const body = await api(200, (c) => c.challenge(factorId, { stateToken }));
      check(body.status === 'MFA_CHALLENGE', `status ${body.status}, expected MFA_CHALLENGE`);
    });
    // TOTP: the next time step, since activation used (and so spent) the current one.
    const passCode = totp
      ? codeFor(secret, 1)
      : await step('read challenge code', async () => {
          const text = await waitForMessage(messages, email, 2, timeoutMs);
          for (const part of Object.values(PAYMENT)) {
            check(text.includes(part), `the message does not name the payment's ${part}`);
          }
          const code = codeIn(text);
          check(code, 'no code in the challenge message');
          return code as string;
        });
    const token = await step('verify code', async () => {
      const body = await api(200, (c) => c.verify(factorId, { stateToken, passCode }));
      if (body.status !== 'SUCCESS' || typeof body.token !== 'string') throw new Error('no token');
      check(body.tokenType === 'Bearer', `tokenType ${body.tokenType}`);
      check(body.transactionId === started.transactionId, 'another transactionId');
      return String(body.token);
    });
    const issuer = await step('openid configuration', async () => {
      const body = await api(200, (c) => c.openidConfiguration());
      check(typeof body.issuer === 'string', 'no issuer');
      check(String(body.jwks_uri).endsWith('/.well-known/jwks.json'), 'unexpected jwks_uri');
      return String(body.issuer);
    });
    // The keys are read from the base URL given, not from jwks_uri: the smoke run talks to
    // nothing else (on LocalStack the issuer URL is the AWS-style one, not reachable).
    const jwks = await step('jwks', async () => {
      const body = (await api(200, (c) => c.jwks())) as JSONWebKeySet;
      check(Array.isArray(body.keys) && body.keys.length > 0, 'no keys');
      for (const key of body.keys) {
        check(!('d' in key), 'a private key member is published');
        check(key.kid && key.use === 'sig', 'a key without kid or use "sig"');
      }
      return body;
    });
    await step('verify token signature and claims', async () => {
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        algorithms: ['ES256'],
        typ: 'mfa+jwt',
        issuer,
        audience: clientId,
        clockTolerance: 60,
      });
      check(payload.sub === userId, 'sub is not the user');
      check(payload.txn === started.transactionId, 'txn is not the transaction');
      check(payload.consent_id === consentId, 'consent_id is missing or wrong');
      const expected = [
        {
          type: 'payment_initiation',
          instructedAmount: { amount: PAYMENT.amount, currency: PAYMENT.currency },
          creditorName: PAYMENT.payee,
        },
      ];
      check(
        JSON.stringify(payload.authorization_details) === JSON.stringify(expected),
        `authorization_details ${JSON.stringify(payload.authorization_details)}`,
      );
      check(Array.isArray(payload.amr) && payload.amr.includes('mfa'), 'amr lacks "mfa"');
    });
    const bearer = { authorization: `Bearer ${token}` };
    await step('GET /demo/dogs with the token', async () => {
      const body = expectStatus(await http(`${base}/demo/dogs`, { headers: bearer }), 200);
      check(body.sub === userId, 'the route did not see the user');
    });
    await step('GET /demo/cats with the fresh token', async () => {
      expectStatus(await http(`${base}/demo/cats`, { headers: bearer }), 200);
    });
    await step('GET /demo/dogs without a token', async () => {
      const result = await http(`${base}/demo/dogs`);
      expectStatus(result, 401);
      const challenge = result.headers.get('www-authenticate') ?? '';
      check(challenge.includes('Bearer error="invalid_token"'), `WWW-Authenticate: ${challenge}`);
    });
    return { ok: true, steps };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    print(`✗ ${current}: ${reason}`);
    return { ok: false, steps, failed: { step: current, reason } };
  }
};
