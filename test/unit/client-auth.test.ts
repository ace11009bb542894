import { beforeEach, describe, expect, it } from 'vitest';
import { hashClientSecret, parseBasicAuth } from '../../shared/domain/client-secret.js';
import { MfaError } from '../../shared/errors.js';
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
    await expect(authenticateClient(basic('app', 'right'), store, 0, 60)).resolves.toBe('app');
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
    await expect(authenticateClient(basic('app', 'new'), memory.store, 2000, 60)).resolves.toBe(
      'app',
    );
    await refusal(authenticateClient(basic('app', 'right'), memory.store, 3000, 60));
  });

  it('re-reads after the cache time, so a deleted client stops working', async () => {
    const memory = setup();
    await authenticateClient(basic('app', 'right'), memory.store, 0, 60);
    memory.clients.delete('app');
    await expect(authenticateClient(basic('app', 'right'), memory.store, 59_000, 60)).resolves.toBe(
      'app',
    );
    await refusal(authenticateClient(basic('app', 'right'), memory.store, 60_000, 60));
  });
});
