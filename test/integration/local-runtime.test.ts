import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateMachineDefinition, tableResource } from '../../local/template.js';
import { activeFactor, startAuthn, unique } from '../support/flows.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';
import { synthStack } from '../support/synth.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.close();
});

const expectProblem = async (response: Response, status: number, code: string) => {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: 'about:blank', status, code });
  expect(body.requestId).toBe(response.headers.get('x-request-id'));
  return body;
};

/** A GET with the path exactly as given (fetch would fold `..` and `\\` first). */
const rawGet = (path: string): Promise<{ status: number; body: Record<string, unknown> }> =>
  new Promise((resolve, reject) => {
    const request = httpRequest(`${runtime.url}/`, { path }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json = response.headers['content-type']?.includes('json');
        resolve({ status: response.statusCode ?? 0, body: json ? JSON.parse(text) : {} });
      });
    });
    request.on('error', reject);
    request.end();
  });

describe('local runtime: operational routes', () => {
  it('GET /health → 200 {"status":"ok"} with a request id', async () => {
    const response = await fetch(`${runtime.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('unknown path → 404 not_found; known path, wrong method → 405 with Allow', async () => {
    await expectProblem(await fetch(`${runtime.url}/v1/nothing`), 404, 'not_found');
    const wrongMethod = await fetch(`${runtime.url}/v1/authn`);
    await expectProblem(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('routes the path as sent: //, .. and \\ segments are 404, not another route', async () => {
    for (const path of [
      '//health',
      '/health/..',
      '/v1/x/../../health',
      '/v1\\authn',
      '//x/health',
    ]) {
      const answer = await rawGet(path);
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({
        path,
        status: 404,
        code: 'not_found',
      });
    }
    expect((await rawGet('/health?probe=1')).status).toBe(200);
    // The absolute form a proxy sends: the path after the authority, as sent.
    expect((await rawGet(`${runtime.url}/health`)).status).toBe(200);
    for (const path of [`${runtime.url}/v1/x/../../health`, 'http://%zz/health/..']) {
      expect({ path, status: (await rawGet(path)).status }).toEqual({ path, status: 404 });
    }
  });

  it('a path parameter with malformed %-encoding → 400 invalid_request naming it', async () => {
    const response = await fetch(`${runtime.url}/v1/users/%E0%A4%A/factors`, {
      headers: { authorization: basicAuth() },
    });
    const body = await expectProblem(response, 400, 'invalid_request');
    expect(body.detail).toContain('userId');
  });

  it('runs exactly the state machine definition that cdk synth produces', () => {
    const synthesized = stateMachineDefinition(synthStack().template.toJSON() as never);
    expect(runtime.workflow.definition).toEqual(synthesized);
  });
});

describe('POST /v1/authn through MfaFlow', () => {
  const scanTable = async () => {
    const ddb = new DynamoDBClient({});
    const scan = await ddb.send(
      new ScanCommand({ TableName: tableResource(runtime.template).name }),
    );
    ddb.destroy();
    return (scan.Items ?? []).map((item) => unmarshall(item));
  };

  it('a user with no active factor gets MFA_ENROLL, and nothing is stored for them', async () => {
    const response = await postJson(runtime.url, '/v1/authn', {
      userId: 'u1',
      transaction: { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' },
      consentId: 'consent-42',
      unknownField: 'ignored',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: 'MFA_ENROLL',
      transactionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      factors: [],
    });
    expect(body).not.toHaveProperty('stateToken');
    expect(JSON.stringify(await scanTable())).not.toContain(body.transactionId);
  });

  it('a transaction lands in its user item under the SHA-256 of its state token, never the token', async () => {
    const userId = unique('stored');
    const factorId = await activeFactor(runtime.url, userId, 'email', `${userId}@example.com`);
    const started = await startAuthn(runtime.url, {
      userId,
      transaction: { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' },
      consentId: 'consent-42',
    });
    const [ref, secret] = started.stateToken.split('.');
    expect(ref).toBe(createHash('sha256').update(userId).digest('base64url'));
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const items = await scanTable();
    const user = items.find((item) => item.pk === `USER#demo#${ref}`);
    expect(user?.sk).toBe('USER');
    expect(user?.userId).toBe(userId);
    const hash = createHash('sha256').update(started.stateToken).digest('hex');
    expect(user?.txns[hash]).toMatchObject({
      transactionId: started.transactionId,
      status: 'MFA_REQUIRED',
      factors: { [factorId]: 'email' },
      transaction: { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' },
      consentId: 'consent-42',
      pruneAfter: expect.any(Number),
    });
    expect(JSON.stringify(items)).not.toContain(secret);
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong secret', basicAuth('demo', 'wrong')],
    ['an unknown client', basicAuth('nobody', 'demo-secret')],
    ['a Bearer token', 'Bearer abc'],
  ])('%s → 401 invalid_client with WWW-Authenticate', async (_name, auth) => {
    const response = await fetch(`${runtime.url}/v1/authn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify({ userId: 'u1' }),
    });
    await expectProblem(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="mfa"');
  });

  it('malformed JSON → 400 invalid_request', async () => {
    await expectProblem(await postJson(runtime.url, '/v1/authn', '{'), 400, 'invalid_request');
  });

  it('schema violation → 400 invalid_request naming the field', async () => {
    const body = await expectProblem(
      await postJson(runtime.url, '/v1/authn', { userId: 'has spaces' }),
      400,
      'invalid_request',
    );
    expect(body.detail).toContain('userId');
    await expectProblem(await postJson(runtime.url, '/v1/authn', {}), 400, 'invalid_request');
  });

  it('non-JSON content type → 415 unsupported_media_type', async () => {
    const response = await fetch(`${runtime.url}/v1/authn`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'text/plain' },
      body: '{"userId":"u1"}',
    });
    await expectProblem(response, 415, 'unsupported_media_type');
  });

  it('body over 16 KiB → 413 payload_too_large', async () => {
    const big = { userId: 'u1', padding: 'x'.repeat(17 * 1024) };
    await expectProblem(await postJson(runtime.url, '/v1/authn', big), 413, 'payload_too_large');
  });

  it('keeps secrets out of every log line and logs the request id', async () => {
    await postJson(runtime.url, '/v1/authn', { userId: 'log-check' });
    const joined = runtime.logs.join('\n');
    expect(joined).not.toContain('demo-secret');
    expect(joined).not.toContain(basicAuth().slice(6));
    const lines = runtime.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      lines.some((line) => line.message === 'request' && typeof line.requestId === 'string'),
    ).toBe(true);
    expect(
      lines.every((line) => typeof line.level === 'string' && typeof line.timestamp === 'string'),
    ).toBe(true);
  });
});
