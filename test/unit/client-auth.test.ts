import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { clientStore } from '../../shared/compose/dynamo.js';
import { parseConfig, serviceConfigSchema } from '../../shared/config.js';
import { overrideDeps } from '../../shared/deps.js';
import { hashClientSecret, parseBasicAuth } from '../../shared/domain/client-secret.js';
import type { ClientRecord } from '../../shared/domain/entities.js';
import { defaultPolicy, type Policy } from '../../shared/domain/policy/index.js';
import { MfaError } from '../../shared/errors.js';
import { apiHandler } from '../../shared/http/api-handler.js';
import { authenticateClient, clearClientCache } from '../../shared/http/client-auth.js';
import { memoryStore } from '../support/memory-store.js';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const setup = () => {
  const memory = memoryStore();
  memory.clients.set('app', {
    clientId: 'app',
    name: 'App',
    salt: 's1',
    secretHash: hashClientSecret('right', 's1'),
  });
  return memory;
};

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MfaError);
  expect((error as MfaError).code).toBe('invalid_client');
  expect((error as MfaError).headers['www-authenticate']).toBe('Basic realm="mfa"');
};

describe('client authentication', () => {
  beforeEach(() => clearClientCache());

  it('parses Basic credentials, secrets may contain colons', () => {
    expect(parseBasicAuth(basic('app', 'a:b'))).toEqual({ clientId: 'app', clientSecret: 'a:b' });
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
    expect(parseBasicAuth(undefined)).toBeUndefined();
  });

  it('accepts the right secret', async () => {
    const { store } = setup();
    await expect(authenticateClient(basic('app', 'right'), store, 0, 60)).resolves.toEqual({
      clientId: 'app',
    });
  });

  it('refuses a wrong secret, an unknown client, a missing or malformed header', async () => {
    const { store } = setup();
    await refusal(authenticateClient(basic('app', 'wrong'), store, 0, 60));
    await refusal(authenticateClient(basic('ghost', 'right'), store, 0, 60));
    await refusal(authenticateClient(undefined, store, 0, 60));
    await refusal(authenticateClient('Basic !!!', store, 0, 60));
    await refusal(authenticateClient(basic('bad id', 'right'), store, 0, 60));
  });

  it('caches client records, and a rotated secret works at once', async () => {
    const memory = setup();
    await authenticateClient(basic('app', 'right'), memory.store, 0, 60);
    await authenticateClient(basic('app', 'right'), memory.store, 1000, 60);
    expect(memory.reads.client).toBe(1);
    memory.clients.set('app', {
      clientId: 'app',
      name: 'App',
      salt: 's2',
      secretHash: hashClientSecret('new', 's2'),
    });
    await expect(
      authenticateClient(basic('app', 'new'), memory.store, 2000, 60),
    ).resolves.toMatchObject({ clientId: 'app' });
    await refusal(authenticateClient(basic('app', 'right'), memory.store, 3000, 60));
  });

  it('re-reads after the cache time, so a deleted client stops working', async () => {
    const memory = setup();
    await authenticateClient(basic('app', 'right'), memory.store, 0, 60);
    memory.clients.delete('app');
    await expect(
      authenticateClient(basic('app', 'right'), memory.store, 59_000, 60),
    ).resolves.toMatchObject({ clientId: 'app' });
    await refusal(authenticateClient(basic('app', 'right'), memory.store, 60_000, 60));
  });

  describe("the app's policy, from the same cached record", () => {
    const withPolicy = (policy?: Policy): ClientRecord => ({
      clientId: 'app',
      name: 'App',
      salt: 's1',
      secretHash: hashClientSecret('right', 's1'),
      ...(policy ? { policy } : {}),
    });

    it('returns the policy with the id, without a read of its own', async () => {
      const memory = setup();
      memory.clients.set('app', withPolicy(defaultPolicy()));
      const first = await authenticateClient(basic('app', 'right'), memory.store, 0, 60);
      expect(first).toEqual({ clientId: 'app', policy: defaultPolicy() });
      const cached = await authenticateClient(basic('app', 'right'), memory.store, 1000, 60);
      expect(cached).toEqual({ clientId: 'app', policy: defaultPolicy() });
      expect(memory.reads.client).toBe(1);
    });

    it('a changed policy is seen once the cache time has passed (or on a re-read)', async () => {
      const memory = setup();
      await expect(authenticateClient(basic('app', 'right'), memory.store, 0, 60)).resolves.toEqual(
        { clientId: 'app' },
      );
      memory.clients.set('app', withPolicy(defaultPolicy()));
      // Still the cached record: no policy until it is re-read.
      await expect(
        authenticateClient(basic('app', 'right'), memory.store, 59_000, 60),
      ).resolves.toEqual({ clientId: 'app' });
      await expect(
        authenticateClient(basic('app', 'right'), memory.store, 60_000, 60),
      ).resolves.toEqual({ clientId: 'app', policy: defaultPolicy() });
      memory.clients.set('app', withPolicy());
      await expect(
        authenticateClient(basic('app', 'right'), memory.store, 120_000, 60),
      ).resolves.toEqual({ clientId: 'app' });
      expect(memory.reads.client).toBe(3);
    });

    it('never returns the salt or hash', async () => {
      const memory = setup();
      memory.clients.set('app', withPolicy(defaultPolicy()));
      const client = await authenticateClient(basic('app', 'right'), memory.store, 0, 60);
      expect(Object.keys(client).sort()).toEqual(['clientId', 'policy']);
    });
  });

  describe('apiHandler: request.clientPolicy', () => {
    afterAll(() => overrideDeps({}));
    const own = { ...defaultPolicy(), default: { require: 'sca' as const } };
    const deployment = defaultPolicy();

    /** The policy a route sees for the app, the deployment's `DEFAULT_POLICY` being `fallback`. */
    const policySeen = async (policy: Policy | undefined, fallback: Policy | undefined) => {
      clearClientCache();
      const memory = setup();
      if (policy)
        memory.clients.set('app', { ...(memory.clients.get('app') as ClientRecord), policy });
      const env = {
        TABLE_NAME: 't',
        LOG_LEVEL: 'warn',
        ...(fallback ? { DEFAULT_POLICY: JSON.stringify(fallback) } : {}),
      };
      overrideDeps({ config: parseConfig(serviceConfigSchema, env), clients: memory.store });
      const handler = apiHandler({ auth: 'client', uses: [clientStore] }, async (request) => ({
        status: 200,
        body: { clientId: request.clientId, policy: request.clientPolicy ?? null },
      }));
      const event = {
        httpMethod: 'POST',
        resource: '/v1/authn',
        headers: { authorization: basic('app', 'right') },
        requestContext: { requestId: 'r1' },
      } as unknown as APIGatewayProxyEvent;
      const response = (await handler(event, {} as Context)) as APIGatewayProxyResult;
      expect(response.statusCode).toBe(200);
      expect(memory.reads.client).toBe(1);
      const body = JSON.parse(response.body) as { clientId: string; policy: Policy | null };
      expect(body.clientId).toBe('app');
      return body.policy;
    };

    it("is the app's own policy, whatever the deployment default", async () => {
      expect(await policySeen(own, deployment)).toEqual(own);
      expect(await policySeen(own, undefined)).toEqual(own);
    });

    it('is DEFAULT_POLICY for an app without one, else none (require mfa)', async () => {
      expect(await policySeen(undefined, deployment)).toEqual(deployment);
      expect(await policySeen(undefined, undefined)).toBeNull();
    });
  });
});
