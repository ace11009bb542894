/**
 * The Lambda bundles themselves, as `cdk synth` builds them (local esbuild), run in a fresh
 * `node` process against the local runtime's endpoints: the bundled AWS SDK signs and sends
 * real DynamoDB and Step Functions requests, with credentials from the environment only (the
 * default chain is replaced in the bundles, `shared/adapters/aws/lambda-credentials.ts`).
 * The rest of the suite runs the sources; this is where the bundles' SDK is exercised.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toProxyEvent } from '../../local/proxy-event.js';
import { OPENAPI_FILE } from '../../shared/openapi/servers.js';
import { routes } from '../../shared/routes.js';
import { activeFactor, claimsOf, lastCode, startAuthn, unique } from '../support/flows.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';
import { type Resources, removeSynth, synthStack } from '../support/synth.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let assembly: string | undefined;
const bundles = new Map<string, string>();

beforeAll(async () => {
  const { outdir, template } = synthStack({}, true);
  assembly = outdir;
  for (const fn of Object.values(template.toJSON().Resources as Resources)) {
    if (fn.Type !== 'AWS::Lambda::Function') continue;
    const tag = (fn.Properties.Tags as { Key: string; Value: string }[] | undefined)?.find(
      (entry) => entry.Key === 'mfa:handler',
    );
    const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace('.zip', '');
    if (tag) bundles.set(tag.Value, path.join(outdir, `asset.${key}`, 'index.mjs'));
  }
  runtime = await startTestRuntime();
}, 240_000);

afterAll(async () => {
  await runtime?.close();
  if (assembly) removeSynth(assembly);
});

/** Imports the bundle in a fresh process, as a cold start does, and runs one event. */
const RUN = `
const { handler } = await import(process.env.BUNDLE_URL);
const result = await handler(JSON.parse(process.env.EVENT), { awsRequestId: 'bundled' });
process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');
`;

const invokeBundle = async (
  handler: string,
  body: unknown,
  options: {
    auth?: string;
    env?: Record<string, string | undefined>;
    pathParameters?: Record<string, string>;
  } = {},
) => {
  const route = routes.find((entry) => entry.handler === handler);
  if (!route) throw new Error(`no route for ${handler}`);
  const file = bundles.get(handler);
  if (!file) throw new Error(`no bundle for ${handler}`);
  const event = toProxyEvent(
    {
      method: route.method,
      path: route.path.replace(
        /\{(\w+)\}/g,
        (_, name: string) => options.pathParameters?.[name] ?? '',
      ),
      query: new URLSearchParams(),
      headers: { authorization: options.auth ?? basicAuth(), 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
      sourceIp: '127.0.0.1',
    },
    route,
    options.pathParameters ?? {},
    'bundled-request',
    new Date(),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    BUNDLE_URL: pathToFileURL(file).href,
    EVENT: JSON.stringify(event),
  };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
  }
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', RUN],
    { env },
  );
  const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
  if (!line) throw new Error(`no result in: ${stdout}`);
  const result = JSON.parse(line.slice('RESULT '.length)) as { statusCode: number; body: string };
  return { status: result.statusCode, body: JSON.parse(result.body), logs: stdout };
};

describe('the bundled functions (AWS SDK inside, environment credentials)', () => {
  it('challenge, verify and status: DynamoDB, Step Functions and EventBridge from the bundles', async () => {
    const userId = unique('bundled');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(runtime.url, userId, 'email', email);
    const { stateToken } = await startAuthn(runtime.url, { userId });
    const pathParameters = { factorId };

    const challenged = await invokeBundle('authn-challenge', { stateToken }, { pathParameters });
    expect(challenged.status).toBe(200);
    expect(challenged.body.status).toBe('MFA_CHALLENGE');
    const passCode = await lastCode(runtime.url, email);
    const verified = await invokeBundle(
      'authn-verify',
      { stateToken, passCode },
      { pathParameters },
    );
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('SUCCESS');
    expect(claimsOf(verified.body.token).sub).toBe(userId);

    const fromSources = await postJson(runtime.url, '/v1/authn/status', { stateToken });
    expect(fromSources.status).toBe(200);
    const bundled = await invokeBundle('authn-status', { stateToken });
    expect(bundled.status).toBe(200);
    expect(bundled.body).toEqual(await fromSources.json());
    expect(bundled.body.status).toBe('SUCCESS');
  });

  it('serves the OpenAPI document built at synth, the same as the sources build', async () => {
    const bundle = bundles.get('openapi') ?? '';
    expect(existsSync(path.join(path.dirname(bundle), OPENAPI_FILE))).toBe(true);
    const fromSources = await fetch(`${runtime.url}/openapi.json`);
    expect(fromSources.status).toBe(200);
    const bundled = await invokeBundle('openapi', {});
    expect(bundled.status).toBe(200);
    expect(bundled.body).toEqual(await fromSources.json());
    expect(bundled.body.servers).toEqual([{ url: runtime.url }]);
  });

  it('authenticates the app by reading its record (a wrong secret: 401 invalid_client)', async () => {
    const bundled = await invokeBundle(
      'authn-status',
      { stateToken: 'x'.repeat(43) },
      { auth: basicAuth('demo', 'not-the-secret') },
    );
    expect(bundled.status).toBe(401);
    expect(bundled.body.code).toBe('invalid_client');
  });

  it('takes the credentials endpoint of modes that keep no keys in the environment', async () => {
    let asked = 0;
    const endpoint = createServer((request, response) => {
      asked += 1;
      const authorized = request.headers.authorization === 'endpoint-token';
      response.writeHead(authorized ? 200 : 403, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          AccessKeyId: 'local',
          SecretAccessKey: 'local',
          Token: 'session',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = endpoint.address() as AddressInfo;
      const bundled = await invokeBundle(
        'authn-status',
        { stateToken: 'x'.repeat(43) },
        {
          auth: basicAuth('demo', 'not-the-secret'),
          env: {
            AWS_ACCESS_KEY_ID: undefined,
            AWS_SECRET_ACCESS_KEY: undefined,
            AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/credentials`,
            AWS_CONTAINER_AUTHORIZATION_TOKEN: 'endpoint-token',
          },
        },
      );
      // The app's record was read with those credentials: a wrong secret, not a 500.
      expect(bundled.status).toBe(401);
      expect(bundled.body.code).toBe('invalid_client');
      expect(asked).toBeGreaterThan(0);
    } finally {
      endpoint.close();
    }
  });

  it('never takes credentials from a profile file', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'mfa-profile-'));
    const credentials = path.join(home, 'credentials');
    writeFileSync(
      credentials,
      '[default]\naws_access_key_id = local\naws_secret_access_key = local\n',
    );
    const bundled = await invokeBundle(
      'authn-status',
      { stateToken: 'x'.repeat(43) },
      {
        env: {
          AWS_ACCESS_KEY_ID: undefined,
          AWS_SECRET_ACCESS_KEY: undefined,
          AWS_SESSION_TOKEN: undefined,
          AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
          AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
          AWS_SHARED_CREDENTIALS_FILE: credentials,
          AWS_CONFIG_FILE: path.join(home, 'config'),
          HOME: home,
        },
      },
    );
    expect(bundled.status).toBe(500);
    expect(bundled.body.code).toBe('internal_error');
    expect(bundled.logs).toContain('CredentialsProviderError');
  });
});
