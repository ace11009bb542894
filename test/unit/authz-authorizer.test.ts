import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthorizerHandler } from '../../functions/authorizer.js';
import { authorizerDepsFromEnv } from '../../shared/authz/authorizer-config.js';
import { staticKeySource } from '../../shared/authz/jwks-source.js';
import { INVALID_TOKEN_CHALLENGE } from '../../shared/authz/recency.js';
import { createLogger } from '../../shared/log.js';
import {
  AUDIENCE,
  createTestIssuer,
  ISSUER,
  NOW_SECONDS,
  type TestIssuer,
} from '../support/mfa-tokens.js';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/live/GET/demo/cats';
const ENV = {
  MFA_ISSUER: ISSUER,
  MFA_AUDIENCES: '*',
  MFA_JWKS_URL: 'https://mfa.test.example/.well-known/jwks.json',
  MFA_ROUTE_POLICIES: JSON.stringify({
    'GET /demo/cats': { maxAge: 60 },
    'GET /demo/dogs': { maxAge: 900 },
    'POST /pay': { maxAge: 900, acr: 'mfa' },
  }),
};
const STALE_60 =
  'Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=60';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});

const setup = () => {
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', level: 'info', write: (l) => lines.push(l) });
  const clock = { now: () => new Date(NOW_SECONDS * 1000) };
  const deps = authorizerDepsFromEnv(ENV, { keys: staticKeySource(issuer.jwks), clock, logger });
  return { handler: createAuthorizerHandler(deps), lines };
};

const event = (
  headers: Record<string, string>,
  route = 'GET /demo/cats',
  multiValueHeaders?: Record<string, string[]>,
): APIGatewayRequestAuthorizerEvent => {
  const [httpMethod, resource] = route.split(' ') as [string, string];
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource,
    path: resource,
    httpMethod,
    headers,
    multiValueHeaders:
      multiValueHeaders ?? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1' },
  } as unknown as APIGatewayRequestAuthorizerEvent;
};

const denied = (
  error: string,
  wwwAuthenticate: string,
  stepUp?: { maxAge: number; detail: string },
) => ({
  principalId: 'anonymous',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: METHOD_ARN }],
  },
  // A step-up refusal also gives the gateway response its max age and detail.
  context: { wwwAuthenticate, error, ...stepUp },
});

describe('MFA authorizer handler', () => {
  it('allows a valid, recent token with the principal and context', async () => {
    const { handler } = setup();
    const token = await issuer.sign({ auth_time: NOW_SECONDS - 10 });
    expect(await handler(event({ Authorization: `Bearer ${token}` }))).toEqual({
      principalId: 'user-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }],
      },
      context: {
        sub: 'user-1',
        clientId: AUDIENCE,
        txn: 'txn-1',
        authTime: NOW_SECONDS - 10,
        acr: 'mfa',
        amr: 'sms otp mfa',
      },
    });
  });

  it('reads the header case-insensitively, and the Bearer scheme too', async () => {
    const { handler } = setup();
    const token = await issuer.sign();
    const variants: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { AUTHORIZATION: `bearer ${token}` },
    ];
    for (const headers of variants) {
      expect((await handler(event(headers))).policyDocument.Statement[0]).toMatchObject({
        Effect: 'Allow',
      });
    }
  });

  it('denies a missing, empty, non-Bearer or doubled header with the invalid_token challenge', async () => {
    const { handler } = setup();
    const token = await issuer.sign();
    const expected = denied('invalid_token', INVALID_TOKEN_CHALLENGE);
    expect(await handler(event({}))).toEqual(expected);
    expect(await handler(event({ Authorization: 'Bearer' }))).toEqual(expected);
    expect(await handler(event({ Authorization: 'Bearer ' }))).toEqual(expected);
    expect(await handler(event({ Authorization: `Basic ${token}` }))).toEqual(expected);
    const doubled = event({ Authorization: `Bearer ${token}` }, 'GET /demo/cats', {
      Authorization: [`Bearer ${token}`, 'Bearer other'],
    });
    expect(await handler(doubled)).toEqual(expected);
  });

  it('denies forged, expired and foreign tokens with the invalid_token challenge', async () => {
    const { handler } = setup();
    const foreign = await createTestIssuer();
    const expected = denied('invalid_token', INVALID_TOKEN_CHALLENGE);
    for (const token of [
      'garbage',
      await foreign.sign(),
      await issuer.sign({ exp: NOW_SECONDS - 61 }),
      await issuer.sign({ iss: 'https://evil' }),
    ]) {
      expect(await handler(event({ Authorization: `Bearer ${token}` }))).toEqual(expected);
    }
  });

  it("chooses the route's policy by method and resource", async () => {
    const { handler } = setup();
    const token = await issuer.sign({ auth_time: NOW_SECONDS - 120 });
    const headers = { Authorization: `Bearer ${token}` };
    expect(await handler(event(headers, 'GET /demo/cats'))).toEqual(
      denied('insufficient_user_authentication', STALE_60, {
        maxAge: 60,
        detail: 'A more recent authentication is required',
      }),
    );
    const dogs = await handler(event(headers, 'GET /demo/dogs'));
    expect(dogs.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    const pay = await handler(event(headers, 'POST /pay'));
    expect(pay.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    const wrongLevel = await issuer.sign({ acr: 'pwd' });
    expect(await handler(event({ Authorization: `Bearer ${wrongLevel}` }, 'POST /pay'))).toEqual(
      denied(
        'insufficient_user_authentication',
        'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", max_age=900, acr_values="mfa"',
        { maxAge: 900, detail: 'A different authentication level is required' },
      ),
    );
  });

  it('logs one line per decision with reason and route, never the token', async () => {
    const { handler, lines } = setup();
    const token = await issuer.sign({ auth_time: NOW_SECONDS - 120 });
    await handler(event({ Authorization: `Bearer ${token}` }, 'GET /demo/cats'));
    await handler(event({ Authorization: `Bearer ${token}x` }, 'GET /demo/dogs'));
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      message: 'authorizer decision',
      decision: 'Deny',
      reason: 'max_age',
      route: 'GET /demo/cats',
      txn: 'txn-1',
      requestId: 'req-1',
    });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ decision: 'Deny', reason: 'signature' });
    expect(lines.join('\n')).not.toContain(token.split('.')[2]);
  });
});

describe('MFA authorizer configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.unstubAllGlobals();
  });

  it('fails at cold start naming each bad variable and its rule, never its value', () => {
    expect(() => authorizerDepsFromEnv({ ...ENV, MFA_ISSUER: undefined })).toThrow(
      /^Invalid configuration: MFA_ISSUER must be non-empty text \(not set\)$/,
    );
    expect(() => authorizerDepsFromEnv({ ...ENV, MFA_AUDIENCES: ' , ' })).toThrow(
      /^Invalid configuration: MFA_AUDIENCES .*\(got no audience\)$/,
    );
    expect(() => authorizerDepsFromEnv({ ...ENV, MFA_JWKS_URL: 'file:///etc/passwd' })).toThrow(
      /^Invalid configuration: MFA_JWKS_URL must be a URL whose protocol matches/,
    );
    const policies = () =>
      authorizerDepsFromEnv({ ...ENV, MFA_ROUTE_POLICIES: '{"GET /x":{"maxAge":"secret"}}' });
    expect(policies).toThrow(
      'Invalid configuration: MFA_ROUTE_POLICIES must be a JSON object of "METHOD /path": { "maxAge": seconds, "acr"?: values } (GET /x: maxAge is not an integer from 0 to 86400)',
    );
    expect(policies).not.toThrow(/secret/);
  });

  it('builds the handler from the environment on first call, fetching the JWKS once', async () => {
    const fetchJwks = vi.fn(
      async (_url: string | URL | Request) => new Response(JSON.stringify(issuer.jwks)),
    );
    vi.stubGlobal('fetch', fetchJwks);
    for (const [name, value] of Object.entries({ ...ENV, MFA_AUDIENCES: `${AUDIENCE}, app-2` })) {
      vi.stubEnv(name, value);
    }
    vi.stubEnv('LOG_LEVEL', 'error');
    const { handler } = await import('../../functions/authorizer.js');
    const now = Math.floor(Date.now() / 1000);
    const fresh = await issuer.sign({ iat: now, auth_time: now, exp: now + 900 });
    for (const route of ['GET /demo/cats', 'GET /demo/dogs']) {
      const result = await handler(event({ Authorization: `Bearer ${fresh}` }, route));
      expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    }
    expect(fetchJwks).toHaveBeenCalledTimes(1);
    expect(fetchJwks.mock.calls[0]?.[0]).toBe(ENV.MFA_JWKS_URL);
  });
});
