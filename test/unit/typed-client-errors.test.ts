import { afterAll, describe, expect, it, vi } from 'vitest';
import { type FetchLike, isMfaApiError, MfaApiError, MfaClient } from '../../client/index.js';

/** How the typed client turns every failure into an `MfaApiError`, with no network. */
const USER = 'jane@example.com';
const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
  vi.spyOn(console, method),
);
afterAll(() => {
  // The client never logs, whatever happened.
  for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
});

const clientWith = (fetch: FetchLike, timeoutMs?: number) =>
  new MfaClient({
    baseUrl: 'https://mfa.test',
    clientId: 'demo',
    clientSecret: 'demo-secret',
    fetch,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
const answering = (body: string | null, status: number, headers: Record<string, string> = {}) =>
  clientWith(async () => new Response(body, { status, headers }));

/** The rejection of `call`, which must be an `MfaApiError`. */
const failure = async (call: Promise<unknown>): Promise<MfaApiError> => {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MfaApiError);
  return error as MfaApiError;
};

const PROBLEM = { 'content-type': 'application/problem+json' };

describe('MfaApiError from a problem document', () => {
  it('carries every member: status, code, title, detail, requestId, the typed extras and the rest', async () => {
    const body = {
      type: 'about:blank',
      title: 'Invalid passcode',
      status: 401,
      code: 'invalid_passcode',
      detail: 'The code is not right',
      requestId: 'req-body',
      attemptsRemaining: 2,
      transactionId: 'txn_1',
      rule: 'big-payment',
      maxAge: 300,
      hint: { factors: ['sms'] },
    };
    const error = await failure(
      answering(JSON.stringify(body), 401, {
        ...PROBLEM,
        'x-request-id': 'req-header',
        'retry-after': '7',
        'www-authenticate': 'Basic realm="mfa"',
      }).verify('sms_1', { stateToken: 'st_0123456789abcdef', passCode: '000000' }),
    );
    expect(error).toBeInstanceOf(Error);
    expect(isMfaApiError(error, 'invalid_passcode')).toBe(true);
    expect(isMfaApiError(error, 'expired')).toBe(false);
    expect({ ...error, name: error.name, message: error.message }).toEqual({
      name: 'MfaApiError',
      message: 'HTTP 401 invalid_passcode: The code is not right',
      status: 401,
      code: 'invalid_passcode',
      title: 'Invalid passcode',
      detail: 'The code is not right',
      requestId: 'req-body',
      attemptsRemaining: 2,
      retryAfter: 7,
      transactionId: 'txn_1',
      rule: 'big-payment',
      maxAge: 300,
      wwwAuthenticate: 'Basic realm="mfa"',
      extras: {
        attemptsRemaining: 2,
        transactionId: 'txn_1',
        rule: 'big-payment',
        maxAge: 300,
        hint: { factors: ['sms'] },
      },
    });
  });

  it("reads the challenge API Gateway renames (x-amzn-Remapped-WWW-Authenticate) as the function's", async () => {
    const body = JSON.stringify({ status: 401, code: 'invalid_token', title: 'Invalid token' });
    const challenge = 'Bearer error="invalid_token"';
    const error = await failure(
      answering(body, 401, {
        ...PROBLEM,
        'x-amzn-Remapped-WWW-Authenticate': challenge,
      }).startAuthn({ userId: USER }),
    );
    expect(error.wwwAuthenticate).toBe(challenge);
  });

  it('API Gateway shape (no detail, no status): detail from title, request id from the header', async () => {
    const body = JSON.stringify({
      type: 'about:blank',
      title: 'Rate limited',
      code: 'rate_limited',
    });
    const error = await failure(
      answering(body, 429, { ...PROBLEM, 'x-amzn-requestid': 'gw-1' }).startAuthn({ userId: USER }),
    );
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', detail: 'Rate limited' });
    expect(error.requestId).toBe('gw-1');
    expect(error.retryAfter).toBeUndefined();
    expect(error.extras).toEqual({});
  });

  it('Retry-After as an HTTP-date counts seconds from now; else a retryAfter member; junk is ignored', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const body = JSON.stringify({ code: 'resend_too_soon', retryAfter: 12 });
    const dated = await failure(
      answering(body, 429, { 'retry-after': at }).resendActivation(USER, 'sms_1'),
    );
    expect(dated.retryAfter).toBeGreaterThanOrEqual(29);
    expect(dated.retryAfter).toBeLessThanOrEqual(30);
    const member = await failure(answering(body, 429).resendActivation(USER, 'sms_1'));
    expect(member.retryAfter).toBe(12);
    const junk = await failure(
      answering(JSON.stringify({ code: 'rate_limited' }), 429, { 'retry-after': 'soon' }).cancel({
        stateToken: 'st_0123456789abcdef',
      }),
    );
    expect(junk.retryAfter).toBeUndefined();
  });
});

describe('MfaApiError for answers that are not the contract', () => {
  it('an HTML error page: invalid_response with its status and the request id header', async () => {
    const page = '<html><body>502 Bad Gateway</body></html>';
    const error = await failure(
      answering(page, 502, { 'content-type': 'text/html', 'x-request-id': 'req-2' }).listFactors(
        USER,
      ),
    );
    expect(error).toMatchObject({ status: 502, code: 'invalid_response', requestId: 'req-2' });
    expect(error.detail).toBe('HTTP 502 without a problem document (text/html)');
  });

  it("JSON without a code (API Gateway's default 500 body): invalid_response", async () => {
    const body = JSON.stringify({ message: 'Internal server error' });
    const error = await failure(
      answering(body, 500, { 'content-type': 'application/json' }).jwks(),
    );
    expect(error).toMatchObject({ status: 500, code: 'invalid_response', extras: {} });
  });

  it('a 2xx that is not a JSON object: invalid_response with its status', async () => {
    for (const text of ['not json', '[1,2]', 'null', '']) {
      const error = await failure(answering(text, 200).openidConfiguration());
      expect(error).toMatchObject({ status: 200, code: 'invalid_response' });
      expect(error.detail).toContain('GET /.well-known/openid-configuration');
    }
  });
});

describe('MfaApiError when no answer comes', () => {
  it('a failed fetch: network_error naming the route (not the user) and the cause', async () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const refused = new TypeError('fetch failed', { cause });
    const error = await failure(clientWith(() => Promise.reject(refused)).listFactors(USER));
    expect(error).toMatchObject({ status: 0, code: 'network_error', cause: refused });
    expect(error.detail).toBe(
      'Cannot reach the service for GET /v1/users/{userId}/factors (ECONNREFUSED)',
    );
    expect(error.message).not.toContain(USER);
  });

  it('a fetch that throws synchronously is a rejection too', async () => {
    const thrower: FetchLike = () => {
      throw new Error('boom');
    };
    expect((await failure(clientWith(thrower).jwks())).code).toBe('network_error');
  });

  /** A fetch that answers only when its signal aborts (as the real one does). */
  const silent: FetchLike = (_url, init) =>
    new Promise((_, reject) => {
      init.signal?.addEventListener('abort', () =>
        reject(new DOMException('aborted', 'AbortError')),
      );
    });

  it('no answer within timeoutMs: timeout', async () => {
    const error = await failure(
      clientWith(silent, 20).status({ stateToken: 'st_0123456789abcdef' }),
    );
    expect(error).toMatchObject({ status: 0, code: 'timeout' });
    expect(error.detail).toBe('No answer to POST /v1/authn/status within 0.02 s');
  });

  it("the caller's signal: aborted, in flight or before sending (then nothing is sent)", async () => {
    const controller = new AbortController();
    const pending = clientWith(silent, 0).jwks({ signal: controller.signal });
    controller.abort(new Error('user left'));
    expect(await failure(pending)).toMatchObject({ status: 0, code: 'aborted' });
    const fetch = vi.fn<FetchLike>();
    const early = await failure(clientWith(fetch).jwks({ signal: AbortSignal.abort() }));
    expect(early.code).toBe('aborted');
    expect(fetch).not.toHaveBeenCalled();
  });
});
