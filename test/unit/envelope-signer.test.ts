import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createEnvelopeSigner,
  envelopeRetainSeconds,
  rotateEnvelopeSigningKey,
  type SigningKeySet,
  type SigningKeyStore,
} from '../../shared/adapters/aws/envelope-signer.js';
import { createKmsSecretBox } from '../../shared/adapters/aws/kms-secret-box.js';
import { CryptoError } from '../../shared/domain/crypto-error.js';
import { fakeEnvelopeKms } from '../support/fake-kms.js';
import { sampleClaims } from '../support/mfa-tokens.js';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/data';
const T0 = Date.parse('2026-01-01T00:00:00Z');

const claims = sampleClaims();

/** The table item, in memory: `create` is conditional, like the DynamoDB put. */
const memoryKeyStore = () => {
  let item: SigningKeySet | undefined;
  const counts = { get: 0, create: 0 };
  const store: SigningKeyStore = {
    get: async () => {
      counts.get += 1;
      return item && structuredClone(item);
    },
    create: async (set) => {
      counts.create += 1;
      if (item) return false;
      item = structuredClone(set);
      return true;
    },
    // Conditional on the version, like the DynamoDB update.
    replace: async (previous, next) => {
      if (!item || item.version !== previous.version) return false;
      item = structuredClone(next);
      return true;
    },
  };
  return {
    store,
    counts,
    item: () => item,
    overwrite: (set: SigningKeySet) => {
      item = structuredClone(set);
    },
  };
};

let nowMs = T0;
const now = () => new Date(nowMs);

const setup = (store = memoryKeyStore(), kms = fakeEnvelopeKms(KEY_ARN)) => {
  const secretBox = createKmsSecretBox({ kms: kms.kms, keyId: KEY_ARN });
  const signer = createEnvelopeSigner({ store: store.store, secretBox, now, retainSeconds: 960 });
  return { store, kms, signer, secretBox };
};

const verify = async (token: string, keys: readonly object[]) =>
  jwtVerify(token, createLocalJWKSet({ keys: keys.map((k) => ({ ...k })) }), {
    algorithms: ['ES256'],
    typ: 'mfa+jwt',
    issuer: claims.iss,
    audience: claims.aud,
    currentDate: new Date(T0),
  });

/** The P-256 order n, written here independently of the code under test. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** s of a token's ES256 `r || s` signature, as a number. */
const sOf = (token: string) => {
  const signature = Buffer.from(token.split('.')[2] ?? '', 'base64url');
  return BigInt(`0x${signature.subarray(32).toString('hex')}`);
};

const rejection = async (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

const kmsCalls = (kms: ReturnType<typeof fakeEnvelopeKms>) => ({
  generate: kms.calls.filter((c) => c instanceof GenerateDataKeyCommand).length,
  decrypt: kms.calls.filter((c) => c instanceof DecryptCommand).length,
});

beforeEach(() => {
  nowMs = T0;
});

describe('envelope token signer', () => {
  it('creates one sealed key on first sign; the token verifies against the published JWKS', async () => {
    const { store, kms, signer } = setup();
    const token = await signer.sign(claims);
    const jwks = await signer.publicJwks();
    const { payload, protectedHeader } = await verify(token, jwks.keys);
    expect(payload).toEqual(claims);
    const [jwk] = jwks.keys;
    expect(jwks.keys).toHaveLength(1);
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'mfa+jwt', kid: jwk?.kid });
    expect(jwk?.kid).toBe(
      await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk?.x, y: jwk?.y }, 'sha256'),
    );
    expect(Object.keys(jwk ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(store.counts.create).toBe(1);
    expect(kmsCalls(kms)).toEqual({ generate: 1, decrypt: 1 });
  });

  it('emits low-S signatures only (s ≤ n/2): 64 of 64, each one verifying', async () => {
    const { signer } = setup();
    const tokens: string[] = [];
    for (let i = 0; i < 64; i += 1) tokens.push(await signer.sign(claims));
    expect(tokens.filter((token) => sOf(token) > P256_ORDER / 2n)).toEqual([]);
    const { keys } = await signer.publicJwks();
    await Promise.all(tokens.map((token) => verify(token, keys)));
  });

  it('stores no private key in clear and binds the sealed key to its purpose and kid', async () => {
    const { store, kms, signer } = setup();
    await signer.sign(claims);
    const stored = store.item()?.keys[0];
    expect(JSON.stringify(store.item())).not.toMatch(/"d"\s*:/);
    expect(stored?.sealedPrivateKey).toMatch(/^v1\./);
    for (const call of kms.calls) {
      expect(call.input.EncryptionContext).toEqual({
        purpose: 'mfa-token-signing-key',
        kid: stored?.kid,
      });
    }
  });

  it('opens the key once per cold start: warm signs make no KMS call and re-read only after the refresh interval', async () => {
    const { store, kms, signer } = setup();
    await signer.sign(claims);
    await signer.sign(claims);
    nowMs += 299_000;
    await signer.sign(claims);
    expect(store.counts.get).toBe(1);
    nowMs += 2_000;
    await signer.sign(claims);
    expect(store.counts.get).toBe(2);
    expect(kmsCalls(kms)).toEqual({ generate: 1, decrypt: 1 });
  });

  it('creates one key when two cold containers race: both sign with it', async () => {
    const shared = memoryKeyStore();
    const kms = fakeEnvelopeKms(KEY_ARN);
    const [a, b] = [setup(shared, kms), setup(shared, kms)];
    const [ta, tb] = await Promise.all([a.signer.sign(claims), b.signer.sign(claims)]);
    expect(shared.item()?.keys).toHaveLength(1);
    expect(decodeProtectedHeader(ta).kid).toBe(decodeProtectedHeader(tb).kid);
    await verify(tb, (await b.signer.publicJwks()).keys);
  });

  it('publishes nothing before the first token and never creates a key itself', async () => {
    const { store, kms, signer } = setup();
    expect(await signer.publicJwks()).toEqual({ keys: [] });
    expect(store.counts.create).toBe(0);
    expect(kms.calls).toHaveLength(0);
  });

  it('follows a rotation: the newest unretired key signs, the retired one stays published', async () => {
    const { store, signer } = setup();
    const first = decodeProtectedHeader(await signer.sign(claims)).kid;
    // A second key made the same way (by another signer on an empty store), then rotated in.
    const other = setup();
    await other.signer.sign(claims);
    const fresh = other.store.item()?.keys[0];
    const old = store.item()?.keys[0];
    if (!fresh || !old) throw new Error('keys missing');
    nowMs += 1_000;
    store.overwrite({
      keys: [
        { ...old, retiredAt: now().toISOString() },
        { ...fresh, createdAt: now().toISOString() },
      ],
    });
    // A cold signer opens the new key with the KMS that sealed it.
    const rotated = createEnvelopeSigner({
      store: store.store,
      secretBox: other.secretBox,
      now,
      retainSeconds: 960,
    });
    const token = await rotated.sign(claims);
    expect(decodeProtectedHeader(token).kid).toBe(fresh.kid);
    expect((await rotated.publicJwks()).keys.map((k) => k.kid)).toEqual([fresh.kid, first]);
    nowMs += 960_000 * 100;
    expect((await rotated.publicJwks()).keys.map((k) => k.kid)).toEqual([fresh.kid, first]);
  });

  it('rotates: a new key signs after the refresh; a key retired for longer than retainSeconds loses its private half and stays published', async () => {
    const { store, signer, secretBox } = setup();
    const first = decodeProtectedHeader(await signer.sign(claims)).kid;
    const rotate = () =>
      rotateEnvelopeSigningKey({ store: store.store, secretBox, now, retainSeconds: 960 });

    nowMs += 1_000;
    const second = await rotate();
    expect(second).toEqual({ kid: expect.any(String), retired: [first], dropped: [] });
    expect(store.item()?.version).toBe(1);
    // A warm signer keeps its key until it re-reads the set (300 s), then follows.
    expect(decodeProtectedHeader(await signer.sign(claims)).kid).toBe(first);
    nowMs += 300_000;
    expect(decodeProtectedHeader(await signer.sign(claims)).kid).toBe(second.kid);
    expect((await signer.publicJwks()).keys.map((k) => k.kid)).toEqual([second.kid, first]);

    nowMs += 960_000;
    const third = await rotate();
    expect(third).toEqual({ kid: expect.any(String), retired: [second.kid], dropped: [first] });
    const keys = store.item()?.keys ?? [];
    expect(keys.map((k) => k.kid)).toEqual([third.kid, second.kid, first]);
    expect(keys.map((k) => k.sealedPrivateKey !== undefined)).toEqual([true, true, false]);
    // Every key that ever signed is published: what `first` signed still verifies.
    nowMs += 300_000;
    expect((await signer.publicJwks()).keys.map((k) => k.kid)).toEqual([
      third.kid,
      second.kid,
      first,
    ]);
    expect(decodeProtectedHeader(await signer.sign(claims)).kid).toBe(third.kid);
    // A fourth rotation has nothing more to drop from `first`.
    nowMs += 960_000;
    const fourth = await rotate();
    expect(fourth.dropped).toEqual([second.kid]);
  });

  it('of two rotations at once, one fails and changes nothing', async () => {
    const { store, signer, secretBox } = setup();
    await signer.sign(claims);
    const rotate = () =>
      rotateEnvelopeSigningKey({ store: store.store, secretBox, now, retainSeconds: 960 });
    const results = await Promise.allSettled([rotate(), rotate()]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(CryptoError);
    expect(store.item()?.keys).toHaveLength(2);
    expect(store.item()?.version).toBe(1);
  });

  it('refuses a sealed key moved under another kid (the KMS context no longer matches)', async () => {
    const { store, kms, signer } = setup();
    await signer.sign(claims);
    const stored = store.item()?.keys[0];
    if (!stored) throw new Error('no key');
    // A cold container on the same KMS key: only the context differs.
    const cold = setup(store, kms);
    store.overwrite({ keys: [{ ...stored, kid: 'another-kid' }] });
    const error = await rejection(cold.signer.sign(claims));
    expect(error).toBeInstanceOf(CryptoError);
    expect(error).toMatchObject({ code: 'unseal_failed' });
  });

  it('refuses a published key whose coordinates do not match its kid', async () => {
    const { store, signer } = setup();
    await signer.sign(claims);
    const stored = store.item()?.keys[0];
    const other = setup();
    await other.signer.sign(claims);
    const foreign = other.store.item()?.keys[0];
    if (!stored || !foreign) throw new Error('no key');
    store.overwrite({
      keys: [{ ...stored, publicJwk: { ...foreign.publicJwk, kid: stored.kid } }],
    });
    const error = await rejection(signer.publicJwks());
    expect(error).toMatchObject({ name: 'CryptoError', code: 'key_refused' });
  });

  it('fails without a fallback when KMS fails at cold start, and keeps its key through a failed re-read', async () => {
    const store = memoryKeyStore();
    const failing = fakeEnvelopeKms(KEY_ARN);
    const broken = {
      kms: { send: async () => Promise.reject(new Error('KMS down')) } as never,
      calls: failing.calls,
    };
    const cold = setup(store, broken as ReturnType<typeof fakeEnvelopeKms>);
    await expect(cold.signer.sign(claims)).rejects.toThrow('KMS down');
    expect(store.item()).toBeUndefined();

    const { signer, store: warmStore } = setup();
    const kid = decodeProtectedHeader(await signer.sign(claims)).kid;
    warmStore.store.get = async () => Promise.reject(new Error('DynamoDB down'));
    nowMs += 301_000;
    expect(decodeProtectedHeader(await signer.sign(claims)).kid).toBe(kid);
    // Not for ever: the key may have been retired meanwhile and is published only so long.
    nowMs += 299_000;
    await expect(signer.sign(claims)).rejects.toThrow('DynamoDB down');
  });

  it('keeps a retired key published as long as a warm signer may still sign with it, plus its tokens', async () => {
    const store = memoryKeyStore();
    const kms = fakeEnvelopeKms(KEY_ARN);
    const secretBox = createKmsSecretBox({ kms: kms.kms, keyId: KEY_ARN });
    const retainSeconds = envelopeRetainSeconds(900);
    const warm = createEnvelopeSigner({ store: store.store, secretBox, now, retainSeconds });
    const old = decodeProtectedHeader(await warm.sign(claims)).kid;
    await rotateEnvelopeSigningKey({ store: store.store, secretBox, now, retainSeconds });
    // The warm signer has not re-read yet: its last token with the old key, just before.
    nowMs += 299_000;
    expect(decodeProtectedHeader(await warm.sign(claims)).kid).toBe(old);
    // That token lives 900 s (+60 s skew): its key is still published until then.
    nowMs += 960_000;
    const cold = createEnvelopeSigner({ store: store.store, secretBox, now, retainSeconds });
    expect((await cold.publicJwks()).keys.map((k) => k.kid)).toContain(old);
  });

  it('refuses a retain window that is not a finite non-negative number', () => {
    const { store, secretBox } = setup();
    expect(() =>
      createEnvelopeSigner({ store: store.store, secretBox, now, retainSeconds: -1 }),
    ).toThrow(RangeError);
  });
});
