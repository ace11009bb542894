import { createHash, generateKeyPairSync } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKmsSigner } from '../../shared/adapters/aws/kms-signer.js';
import { CryptoError } from '../../shared/domain/crypto-error.js';
import type { MfaTokenClaims } from '../../shared/domain/mfa-token.js';
import { type FakeSigningKey, fakeSigningKms, signDigestDer } from '../support/fake-kms.js';

const claims: MfaTokenClaims = {
  iss: 'https://mfa.test.example',
  sub: 'user-1',
  aud: 'app-1',
  iat: 1_767_225_600,
  exp: 1_767_226_500,
  jti: 'jti-1',
  auth_time: 1_767_225_600,
  amr: ['sms', 'otp', 'mfa'],
  acr: 'mfa',
  txn: 'txn-1',
  authorization_details: [
    {
      type: 'payment_initiation',
      instructedAmount: { amount: '250.00', currency: 'EUR' },
      creditorName: 'ACME Ltd',
    },
  ],
};

const kmsKey = (name: string, extra: Partial<FakeSigningKey> = {}): FakeSigningKey => ({
  id: `alias/${name}`,
  arn: `arn:aws:kms:eu-west-1:111122223333:key/${name}`,
  privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  ...extra,
});

const thumbprint = async (key: FakeSigningKey) => {
  const { kty, crv, x, y } = key.privateKey.export({ format: 'jwk' });
  return calculateJwkThumbprint({ kty: kty ?? '', crv, x, y }, 'sha256');
};

const verifyWith = async (token: string, jwks: Awaited<ReturnType<typeof signerJwks>>) =>
  jwtVerify(token, createLocalJWKSet({ keys: jwks.keys.map((k) => ({ ...k })) }), {
    algorithms: ['ES256'],
    typ: 'mfa+jwt',
    issuer: claims.iss,
    audience: claims.aud,
    currentDate: new Date(claims.iat * 1000),
  });
const signerJwks = (signer: ReturnType<typeof createKmsSigner>) => signer.publicJwks();

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

describe('KMS token signer', () => {
  it('signs a token that verifies against its JWKS, kid = RFC 7638 thumbprint', async () => {
    const active = kmsKey('active');
    const fake = fakeSigningKms([active]);
    const signer = createKmsSigner({ kms: fake.kms, keyIds: [active.id] });
    const token = await signer.sign(claims);
    const jwks = await signer.publicJwks();
    const { payload, protectedHeader } = await verifyWith(token, jwks);
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({
      alg: 'ES256',
      typ: 'mfa+jwt',
      kid: await thumbprint(active),
    });
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kid: await thumbprint(active), alg: 'ES256', use: 'sig' }),
    ]);
    expect(Object.keys(jwks.keys[0] ?? {}).sort()).toEqual(
      ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'].sort(),
    );
  });

  it('the fake KMS answers high-S when asked, as KMS may', () => {
    const { privateKey } = kmsKey('high');
    const digest = createHash('sha256').update('x').digest();
    for (let i = 0; i < 16; i += 1) {
      const der = Buffer.from(signDigestDer(privateKey, digest, true));
      // DER: 30 len 02 rlen r… 02 slen s…, short lengths (P-256): s is the last INTEGER.
      const s = BigInt(`0x${der.subarray(4 + (der[3] ?? 0) + 2).toString('hex')}`);
      expect(s > P256_ORDER / 2n && s < P256_ORDER).toBe(true);
    }
  });

  it.each([
    { name: 'high-S only', highS: true },
    { name: 'either form', highS: false },
  ])('emits low-S signatures only (s ≤ n/2) when KMS answers $name', async ({ highS }) => {
    const active = kmsKey('active', { highS });
    const signer = createKmsSigner({ kms: fakeSigningKms([active]).kms, keyIds: [active.id] });
    const tokens: string[] = [];
    for (let i = 0; i < 64; i += 1) tokens.push(await signer.sign(claims));
    expect(tokens.filter((token) => sOf(token) > P256_ORDER / 2n)).toEqual([]);
    const jwks = await signer.publicJwks();
    await Promise.all(tokens.map((token) => verifyWith(token, jwks)));
  });

  it('sends KMS only the SHA-256 of the signing input, by key ARN', async () => {
    const active = kmsKey('active');
    const fake = fakeSigningKms([active]);
    const signer = createKmsSigner({ kms: fake.kms, keyIds: [active.id] });
    const token = await signer.sign(claims);
    const signs = fake.calls.filter((c): c is SignCommand => c instanceof SignCommand);
    expect(signs).toHaveLength(1);
    const input = token.split('.').slice(0, 2).join('.');
    expect(signs[0]?.input).toEqual({
      KeyId: active.arn,
      Message: createHash('sha256').update(input).digest(),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
  });

  it('publishes the second key without signing with it', async () => {
    const active = kmsKey('active');
    const previous = kmsKey('previous');
    const fake = fakeSigningKms([active, previous]);
    const signer = createKmsSigner({ kms: fake.kms, keyIds: [active.id, previous.id] });
    const token = await signer.sign(claims);
    const jwks = await signer.publicJwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([
      await thumbprint(active),
      await thumbprint(previous),
    ]);
    expect(decodeProtectedHeader(token).kid).toBe(await thumbprint(active));
    const signedWith = fake.calls.flatMap((c) => (c instanceof SignCommand ? [c.input.KeyId] : []));
    expect(signedWith).toEqual([active.arn]);
    // A token of the previous key (signed before the rotation) still verifies.
    const before = createKmsSigner({ kms: fake.kms, keyIds: [previous.id] });
    await expect(verifyWith(await before.sign(claims), jwks)).resolves.toBeDefined();
    // And a JWKS without the previous key refuses it.
    const alone = await createKmsSigner({ kms: fake.kms, keyIds: [active.id] }).publicJwks();
    await expect(verifyWith(await before.sign(claims), alone)).rejects.toThrow();
  });

  it('fetches each public key once, concurrent first calls included', async () => {
    const active = kmsKey('active');
    const fake = fakeSigningKms([active]);
    const signer = createKmsSigner({ kms: fake.kms, keyIds: [active.id] });
    await Promise.all([signer.sign(claims), signer.sign(claims), signer.publicJwks()]);
    await signer.sign(claims);
    await signer.publicJwks();
    expect(fake.calls.filter((c) => c instanceof GetPublicKeyCommand)).toHaveLength(1);
    expect(fake.calls.filter((c) => c instanceof SignCommand)).toHaveLength(3);
  });

  it('rejects when KMS fails, and recovers on the next call', async () => {
    const active = kmsKey('active');
    const fake = fakeSigningKms([active]);
    const signer = createKmsSigner({ kms: fake.kms, keyIds: [active.id] });
    fake.failNext();
    const error = await rejection(signer.sign(claims));
    expect((error as Error).name).toBe('KMSInternalException');
    await expect(rejection(signer.publicJwks())).resolves.toHaveProperty(
      'name',
      'KMSInternalException',
    );
    fake.recover();
    await expect(
      verifyWith(await signer.sign(claims), await signer.publicJwks()),
    ).resolves.toBeDefined();
  });

  it('rejects when Sign fails after the key is known', async () => {
    const active = kmsKey('active');
    const fake = fakeSigningKms([active]);
    const signer = createKmsSigner({ kms: fake.kms, keyIds: [active.id] });
    await signer.publicJwks();
    fake.failNext();
    await expect(rejection(signer.sign(claims))).resolves.toHaveProperty(
      'name',
      'KMSInternalException',
    );
  });

  it.each([
    { keySpec: 'ECC_NIST_P384', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'ECC_NIST_P256', keyUsage: 'ENCRYPT_DECRYPT' },
  ])('refuses a $keySpec key for $keyUsage', async ({ keySpec, keyUsage }) => {
    const wrong = kmsKey('wrong', { keySpec, keyUsage });
    const fake = fakeSigningKms([wrong]);
    const signer = createKmsSigner({ kms: fake.kms, keyIds: [wrong.id] });
    const error = await rejection(signer.sign(claims));
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('key_refused');
    expect(fake.calls.some((c) => c instanceof SignCommand)).toBe(false);
  });

  it('refuses a published key of the wrong spec too', async () => {
    const active = kmsKey('active');
    const wrong = kmsKey('wrong', { keySpec: 'ECC_SECG_P256K1' });
    const signer = createKmsSigner({
      kms: fakeSigningKms([active, wrong]).kms,
      keyIds: [active.id, wrong.id],
    });
    await expect(rejection(signer.publicJwks())).resolves.toHaveProperty('code', 'key_refused');
  });

  it('needs at least one key id', () => {
    expect(() => createKmsSigner({ kms: fakeSigningKms([]).kms, keyIds: [] })).toThrow(/key id/);
  });
});
