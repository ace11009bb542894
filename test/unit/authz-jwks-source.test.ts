import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_JWKS_BYTES,
  remoteJwksSource,
  retiredAtOf,
  staticKeySource,
} from '../../shared/authz/jwks-source.js';
import { createMfaTokenVerifier, InvalidTokenError } from '../../shared/authz/token-verifier.js';
import { createLogger } from '../../shared/log.js';
import {
  AUDIENCE,
  createTestIssuer,
  ISSUER,
  NOW_SECONDS,
  type TestIssuer,
} from '../support/mfa-tokens.js';

const JWKS_URL = 'https://mfa.test.example/.well-known/jwks.json';
let first: TestIssuer;
let second: TestIssuer;

beforeAll(async () => {
  first = await createTestIssuer('key-1');
  second = await createTestIssuer('key-2');
});

/** A fake JWKS endpoint: counts calls, serves whatever `body` holds (or fails). */
const fakeEndpoint = (body: unknown) => {
  const endpoint = {
    calls: 0,
    body,
    status: 200,
    fail: false,
    fetch: (async (url: string | URL | Request) => {
      endpoint.calls++;
      expect(String(url)).toBe(JWKS_URL);
      if (endpoint.fail) throw new TypeError('fetch failed');
      return new Response(JSON.stringify(endpoint.body), { status: endpoint.status });
    }) as typeof globalThis.fetch,
  };
  return endpoint;
};

const setup = (body: unknown) => {
  const endpoint = fakeEndpoint(body);
  const clock = { nowMs: NOW_SECONDS * 1000 };
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', level: 'debug', write: (l) => lines.push(l) });
  const source = remoteJwksSource({
    url: JWKS_URL,
    fetch: endpoint.fetch,
    now: () => clock.nowMs,
    logger,
  });
  return { endpoint, clock, lines, source };
};

describe('staticKeySource', () => {
  it('serves P-256 public keys by kid and ignores keys of other kinds', async () => {
    const source = staticKeySource({
      keys: [
        first.publicJwk,
        { kty: 'RSA', kid: 'rsa', n: 'AQAB', e: 'AQAB' },
        { ...second.publicJwk, alg: 'RS256' },
        { ...second.publicJwk, kid: 'enc', use: 'enc' },
      ],
    });
    expect((await source.getKey('key-1'))?.asymmetricKeyType).toBe('ec');
    for (const kid of ['rsa', 'key-2', 'enc', 'nope'])
      expect(await source.getKey(kid)).toBeUndefined();
  });

  it('refuses a JWKS holding a private key', async () => {
    const { exportJWK } = await import('jose');
    const privateJwk = { ...(await exportJWK(first.privateKey)), kid: 'key-1' };
    expect('d' in privateJwk).toBe(true);
    expect(() => staticKeySource({ keys: [privateJwk] })).toThrow(
      'JWKS key key-1 has private members',
    );
  });
});

describe('remoteJwksSource', () => {
  it('loads once, then serves known kids without any network call', async () => {
    const { endpoint, source } = setup(first.jwks);
    expect(await source.getKey('key-1')).toBeDefined();
    expect(await source.getKey('key-1')).toBeDefined();
    expect(endpoint.calls).toBe(1);
  });

  it('loads again once the set is 5 min old, so a retirement reaches warm verifiers', async () => {
    const { endpoint, clock, source } = setup(first.jwks);
    const before = await source.getKey('key-1');
    expect(before && retiredAtOf(before)).toBeUndefined();
    endpoint.body = { keys: [{ ...first.publicJwk, retired_at: NOW_SECONDS + 10 } as JWK] };
    clock.nowMs += 299_999;
    await source.getKey('key-1');
    expect(endpoint.calls).toBe(1);
    clock.nowMs += 1;
    const after = await source.getKey('key-1');
    expect(endpoint.calls).toBe(2);
    expect(after && retiredAtOf(after)).toBe(NOW_SECONDS + 10);
    // A failed load keeps the keys it had.
    endpoint.fail = true;
    clock.nowMs += 300_000;
    expect(await source.getKey('key-1')).toBeDefined();
  });

  it('refuses a JWKS over 64 KiB, read only that far, and keeps the keys it had', async () => {
    const { endpoint, clock, lines, source } = setup(first.jwks);
    expect(await source.getKey('key-1')).toBeDefined();
    // Valid JSON, its keys padded past the limit: refused by size, not by its content.
    endpoint.body = { keys: [first.publicJwk, second.publicJwk], pad: 'x'.repeat(MAX_JWKS_BYTES) };
    clock.nowMs += 300_000;
    expect(await source.getKey('key-2')).toBeUndefined();
    expect(await source.getKey('key-1')).toBeDefined();
    expect(lines.some((line) => line.includes('response body over 65536 bytes'))).toBe(true);
  });

  it('refuses a retired_at that is not a number', () => {
    const source = staticKeySource({ keys: [{ ...first.publicJwk, retired_at: 'soon' } as JWK] });
    return expect(source.getKey('key-1')).resolves.toBeUndefined();
  });

  it('refreshes on an unknown kid at most once per interval (rotation, made-up kids)', async () => {
    const { endpoint, clock, source } = setup(first.jwks);
    await source.getKey('key-1');
    endpoint.body = { keys: [first.publicJwk, second.publicJwk] };
    clock.nowMs += 29_999;
    expect(await source.getKey('key-2')).toBeUndefined(); // too soon after the first load
    expect(endpoint.calls).toBe(1);
    clock.nowMs += 1;
    expect(await source.getKey('key-2')).toBeDefined(); // the rotated key
    expect(endpoint.calls).toBe(2);
    for (let i = 0; i < 50; i++) expect(await source.getKey(`made-up-${i}`)).toBeUndefined();
    expect(endpoint.calls).toBe(2);
    clock.nowMs += 30_000;
    expect(await source.getKey('made-up')).toBeUndefined();
    expect(endpoint.calls).toBe(3);
  });

  it('shares one in-flight fetch between concurrent lookups', async () => {
    const { endpoint, source } = setup(first.jwks);
    const keys = await Promise.all(Array.from({ length: 10 }, () => source.getKey('key-1')));
    expect(keys.every((key) => key !== undefined)).toBe(true);
    expect(endpoint.calls).toBe(1);
  });

  it('ignores a key with a private d member, and logs its kid and reason only', async () => {
    const { exportJWK } = await import('jose');
    const leaked = { ...(await exportJWK(second.privateKey)), kid: 'key-2' };
    const { source, lines } = setup({ keys: [first.publicJwk, leaked] });
    expect(await source.getKey('key-2')).toBeUndefined();
    expect(await source.getKey('key-1')).toBeDefined();
    const refused = lines
      .map((line) => JSON.parse(line))
      .find((r) => r.message === 'jwks key refused');
    expect(refused).toMatchObject({ kid: 'key-2', reason: 'private' });
    expect(lines.join('\n')).not.toContain(leaked.d as string);
  });

  it('keeps the known keys when a refresh fails; the unknown kid stays unknown', async () => {
    const { endpoint, clock, source, lines } = setup(first.jwks);
    await source.getKey('key-1');
    endpoint.fail = true;
    clock.nowMs += 30_000;
    expect(await source.getKey('key-2')).toBeUndefined();
    expect(await source.getKey('key-1')).toBeDefined();
    endpoint.fail = false;
    endpoint.status = 500;
    clock.nowMs += 30_000;
    expect(await source.getKey('key-2')).toBeUndefined();
    expect(endpoint.calls).toBe(3);
    expect(lines.filter((line) => line.includes('jwks refresh failed'))).toHaveLength(2);
  });

  it('makes the verifier refuse with reason kid when the JWKS cannot be fetched', async () => {
    const { endpoint, source } = setup(first.jwks);
    endpoint.fail = true;
    const verifier = createMfaTokenVerifier({
      issuer: ISSUER,
      audiences: [AUDIENCE],
      keys: source,
      now: () => NOW_SECONDS * 1000,
    });
    const error = await verifier.verify(await first.sign()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect((error as InvalidTokenError).reason).toBe('kid');
  });
});
