import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFileSigner,
  rotateFileSigningKey,
  SIGNING_KEYS_FILE,
} from '../../shared/adapters/file/file-signer.js';
import { CryptoError } from '../../shared/domain/crypto-error.js';
import type { PublicJwk, TokenSigner } from '../../shared/ports/signer.js';
import { sampleClaims } from '../support/mfa-tokens.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const RETAIN_SECONDS = 960;

const claims = sampleClaims();

const verifyWith = (token: string, jwks: { readonly keys: readonly PublicJwk[] }) =>
  jwtVerify(token, createLocalJWKSet({ keys: jwks.keys.map((k) => ({ ...k })) }), {
    algorithms: ['ES256'],
    typ: 'mfa+jwt',
    issuer: claims.iss,
    audience: claims.aud,
    currentDate: new Date(T0),
  });

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
/** The P-256 order n, written here independently of the code under test. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** s of a token's ES256 `r || s` signature, as a number. */
const sOf = (token: string) => {
  const signature = Buffer.from(token.split('.')[2] ?? '', 'base64url');
  return BigInt(`0x${signature.subarray(32).toString('hex')}`);
};

const kids = async (signer: TokenSigner) => (await signer.publicJwks()).keys.map((k) => k.kid);

let dir: string;
let nowMs: number;
const props = () => ({ dir, now: () => new Date(nowMs), retainSeconds: RETAIN_SECONDS });
const keyFile = () => join(dir, SIGNING_KEYS_FILE);
const storedKeys = async () =>
  (JSON.parse(await readFile(keyFile(), 'utf8')) as { keys: Array<Record<string, unknown>> }).keys;

beforeEach(async () => {
  // A folder that does not exist yet: the signer creates it.
  dir = join(await mkdtemp(join(tmpdir(), 'file-signer-')), 'data');
  nowMs = T0;
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('file token signer', () => {
  it('creates a 0600 key file on first use and signs tokens its JWKS verifies', async () => {
    const signer = createFileSigner(props());
    const token = await signer.sign(claims);
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o077).toBe(0);
    const stored = await storedKeys();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ createdAt: new Date(T0).toISOString() });
    expect(stored[0]?.privateJwk).toHaveProperty('d');

    const jwks = await signer.publicJwks();
    const { payload, protectedHeader } = await verifyWith(token, jwks);
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'mfa+jwt', kid: stored[0]?.kid });
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0] ?? {}).sort()).toEqual([
      'alg',
      'crv',
      'kid',
      'kty',
      'use',
      'x',
      'y',
    ]);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it('emits low-S signatures only (s ≤ n/2): 64 of 64, each one verifying', async () => {
    const signer = createFileSigner(props());
    const tokens: string[] = [];
    for (let i = 0; i < 64; i += 1) tokens.push(await signer.sign(claims));
    expect(tokens.filter((token) => sOf(token) > P256_ORDER / 2n)).toEqual([]);
    const jwks = await signer.publicJwks();
    await Promise.all(tokens.map((token) => verifyWith(token, jwks)));
  });

  it('keeps using the stored key across instances (restarts)', async () => {
    const first = await createFileSigner(props()).sign(claims);
    const second = createFileSigner(props());
    expect(kidOf(await second.sign(claims))).toBe(kidOf(first));
    await expect(verifyWith(first, await second.publicJwks())).resolves.toBeDefined();
  });

  it('creates exactly one key when first used concurrently', async () => {
    const a = createFileSigner(props());
    const b = createFileSigner(props());
    const tokens = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).sign(claims)),
    );
    expect(new Set(tokens.map(kidOf)).size).toBe(1);
    expect(await storedKeys()).toHaveLength(1);
    expect((await readdir(dir)).sort()).toEqual([SIGNING_KEYS_FILE]);
  });

  it('rotates: the new key signs, the old one stays published for good (receipts are records)', async () => {
    const signer = createFileSigner(props());
    const oldToken = await signer.sign(claims);
    const oldKid = kidOf(oldToken);

    nowMs = T0 + 10_000;
    const { kid: newKid } = await rotateFileSigningKey(props());
    expect(newKid).not.toBe(oldKid);
    // The running signer sees the rotation at once (another process may have made it).
    const newToken = await signer.sign(claims);
    expect(kidOf(newToken)).toBe(newKid);
    expect(await kids(signer)).toEqual([newKid, oldKid]);
    await expect(verifyWith(oldToken, await signer.publicJwks())).resolves.toBeDefined();
    expect((await storedKeys()).find((k) => k.kid === oldKid)?.retiredAt).toBe(
      new Date(nowMs).toISOString(),
    );

    nowMs = T0 + 10_000 + RETAIN_SECONDS * 1000 - 1;
    expect(await kids(signer)).toEqual([newKid, oldKid]);

    nowMs = T0 + 10_000 + RETAIN_SECONDS * 1000 * 100;
    expect(await kids(signer)).toEqual([newKid, oldKid]);
    await expect(verifyWith(newToken, await signer.publicJwks())).resolves.toBeDefined();
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
  });

  it('drops the private half of keys retired longer than retainSeconds; their public half stays published', async () => {
    const signer = createFileSigner(props());
    const firstToken = await signer.sign(claims);
    const firstKid = kidOf(firstToken);
    const { kid: secondKid } = await rotateFileSigningKey(props());
    nowMs = T0 + RETAIN_SECONDS * 1000;
    const { kid: thirdKid } = await rotateFileSigningKey(props());
    const stored = await storedKeys();
    expect(stored.map((k) => k.kid)).toEqual([firstKid, secondKid, thirdKid]);
    const first = stored.find((k) => k.kid === firstKid) as Record<string, unknown>;
    expect(first).not.toHaveProperty('privateJwk');
    expect(first.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(JSON.stringify(first)).not.toContain('"d"');
    // Within its retention the second key keeps its private half.
    expect(stored.find((k) => k.kid === secondKid)).toHaveProperty('privateJwk');
    expect(await kids(signer)).toEqual([thirdKid, secondKid, firstKid]);
    // What the first key signed still verifies: a receipt's key never disappears.
    await expect(verifyWith(firstToken, await signer.publicJwks())).resolves.toBeDefined();
    // A restarted signer reads the public-only key back.
    expect(await kids(createFileSigner(props()))).toEqual([thirdKid, secondKid, firstKid]);
    expect((await readdir(dir)).sort()).toEqual([SIGNING_KEYS_FILE]);
  });

  it('serializes concurrent rotations in one process: each one retires the previous key', async () => {
    await createFileSigner(props()).sign(claims);
    await Promise.all([rotateFileSigningKey(props()), rotateFileSigningKey(props())]);
    const stored = await storedKeys();
    expect(stored).toHaveLength(3);
    expect(stored.filter((k) => k.retiredAt === undefined)).toHaveLength(1);
  });

  it('refuses a key file it does not understand, and leaves it alone', async () => {
    const signer = createFileSigner(props());
    await signer.sign(claims);
    for (const content of ['not json', '{"keys":[{"kid":"k"}]}', '{"keys":{}}']) {
      await writeFile(keyFile(), content);
      const error = await signer.sign(claims).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CryptoError);
      expect((error as CryptoError).code).toBe('key_file_invalid');
      await expect(rotateFileSigningKey(props())).rejects.toHaveProperty(
        'code',
        'key_file_invalid',
      );
      expect(await readFile(keyFile(), 'utf8')).toBe(content);
    }
  });

  it('refuses a key stored under another kid', async () => {
    await createFileSigner(props()).sign(claims);
    const [key] = await storedKeys();
    await writeFile(keyFile(), JSON.stringify({ keys: [{ ...key, kid: 'forged' }] }));
    await expect(createFileSigner(props()).publicJwks()).rejects.toHaveProperty(
      'code',
      'key_file_invalid',
    );
  });

  it('refuses to sign when every key is retired', async () => {
    await createFileSigner(props()).sign(claims);
    const [key] = await storedKeys();
    await writeFile(keyFile(), JSON.stringify({ keys: [{ ...key, retiredAt: key?.createdAt }] }));
    await expect(createFileSigner(props()).sign(claims)).rejects.toHaveProperty(
      'code',
      'key_file_invalid',
    );
  });

  it('refuses a negative retainSeconds', () => {
    expect(() => createFileSigner({ ...props(), retainSeconds: -1 })).toThrow(RangeError);
  });
});
