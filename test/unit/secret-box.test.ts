import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKmsEndpoint } from '../../local/kms-endpoint.js';
import { createKmsSecretBox } from '../../shared/adapters/aws/kms-secret-box.js';
import { canonicalContext } from '../../shared/adapters/envelope-format.js';
import { CryptoError, type CryptoErrorCode } from '../../shared/domain/crypto-error.js';
import type { SecretBox } from '../../shared/ports/secret-box.js';
import { fakeEnvelopeKms } from '../support/fake-kms.js';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/box';
const seed = Buffer.from('JBSWY3DPEHPK3PXP-totp-seed-bytes');
const context = { factorId: 'f-1', userId: 'u-1' };
const SEALED = /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/;

const refused = async (promise: Promise<unknown>, code: CryptoErrorCode) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CryptoError);
  expect((error as CryptoError).code).toBe(code);
};

/** Changes one base64url character of part `index` (1: wrapped key … 4: tag). */
const tamper = (sealed: string, index: number) => {
  const parts = sealed.split('.');
  const part = parts[index] ?? '';
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
};

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'secret-box-')), 'data');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

/** The local runtime's KMS endpoint, reached with the real SDK client (as the functions do). */
let local: Awaited<ReturnType<typeof startKmsEndpoint>>;
let localDir: string;
beforeAll(async () => {
  localDir = await mkdtemp(join(tmpdir(), 'local-kms-'));
  local = await startKmsEndpoint(localDir, 'eu-west-1');
});
afterAll(async () => {
  local?.server.close();
  await rm(localDir, { recursive: true, force: true });
});
const localKms = () =>
  new KMSClient({
    region: 'eu-west-1',
    endpoint: local.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

const boxes: Array<{ name: string; make: () => SecretBox }> = [
  {
    name: 'local KMS endpoint',
    make: () => createKmsSecretBox({ kms: localKms(), keyId: local.dataKeyArn }),
  },
  {
    name: 'KMS',
    make: () => createKmsSecretBox({ kms: fakeEnvelopeKms(KEY_ARN).kms, keyId: KEY_ARN }),
  },
];

describe.each(boxes)('$name secret box', ({ make }) => {
  it('opens what it sealed, in the v1 format', async () => {
    const box = make();
    const sealed = await box.seal(seed, context);
    expect(sealed).toMatch(SEALED);
    expect(sealed).not.toContain(seed.toString('base64url'));
    expect(Buffer.from(await box.open(sealed, context))).toEqual(seed);
    // The context's member order does not matter.
    expect(Buffer.from(await box.open(sealed, { userId: 'u-1', factorId: 'f-1' }))).toEqual(seed);
  });

  it('seals an empty secret too', async () => {
    const box = make();
    expect((await box.open(await box.seal(new Uint8Array(), context), context)).length).toBe(0);
  });

  it('gives two different sealed strings for the same secret', async () => {
    const box = make();
    const [a, b] = [await box.seal(seed, context), await box.seal(seed, context)];
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('does not open under another context', async () => {
    const box = make();
    const sealed = await box.seal(seed, context);
    await refused(box.open(sealed, { ...context, factorId: 'f-2' }), 'unseal_failed');
    await refused(box.open(sealed, { factorId: 'f-1' }), 'unseal_failed');
    await refused(box.open(sealed, { ...context, extra: '' }), 'unseal_failed');
  });

  it.each([1, 2, 3, 4])('does not open when part %i is tampered with', async (index) => {
    const box = make();
    const sealed = await box.seal(seed, context);
    await refused(box.open(tamper(sealed, index), context), 'unseal_failed');
  });

  it('refuses strings that are not sealed secrets', async () => {
    const box = make();
    const sealed = await box.seal(seed, context);
    const [, wrapped, iv, ciphertext, tag] = sealed.split('.');
    for (const bad of [
      '',
      sealed.replace(/^v1/, 'v2'),
      `${sealed}.`,
      ['v1', wrapped, iv, ciphertext].join('.'),
      ['v1', '', iv, ciphertext, tag].join('.'),
      ['v1', wrapped, `${iv}AA`, ciphertext, tag].join('.'),
      ['v1', wrapped, iv, ciphertext, tag?.slice(0, 20)].join('.'),
      ['v1', wrapped, iv, `${ciphertext}=`, tag].join('.'),
      ['v1', wrapped, iv, `${ciphertext}+`, tag].join('.'),
    ]) {
      await refused(box.open(bad, context), 'malformed_sealed');
    }
  });
});

describe('KMS secret box', () => {
  it('asks KMS for an AES-256 data key and decrypts with the same context and key', async () => {
    const fake = fakeEnvelopeKms(KEY_ARN);
    const box = createKmsSecretBox({ kms: fake.kms, keyId: KEY_ARN });
    const sealed = await box.seal(seed, context);
    await box.open(sealed, context);
    const [generate, decrypt] = fake.calls;
    expect(generate).toBeInstanceOf(GenerateDataKeyCommand);
    expect(generate?.input).toEqual({
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: context,
    });
    expect(decrypt).toBeInstanceOf(DecryptCommand);
    expect(decrypt?.input).toMatchObject({ KeyId: KEY_ARN, EncryptionContext: context });
    const wrapped = Buffer.from(sealed.split('.')[1] ?? '', 'base64url');
    expect(Buffer.from((decrypt as DecryptCommand).input.CiphertextBlob ?? [])).toEqual(wrapped);
  });

  it('zeroes the plaintext data key it got from KMS', async () => {
    const fake = fakeEnvelopeKms(KEY_ARN);
    const keys: Uint8Array[] = [];
    const kms = {
      send: async (command: GenerateDataKeyCommand | DecryptCommand) => {
        const out = (await fake.kms.send(command as GenerateDataKeyCommand)) as {
          Plaintext?: Uint8Array;
        };
        if (out.Plaintext) keys.push(out.Plaintext);
        return out;
      },
    } as unknown as typeof fake.kms;
    const box = createKmsSecretBox({ kms, keyId: KEY_ARN });
    await box.open(await box.seal(seed, context), context);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key.every((byte) => byte === 0)).toBe(true);
  });

  it('lets other KMS failures through as they are', async () => {
    const kms = {
      send: async () => {
        throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
      },
    } as unknown as ReturnType<typeof fakeEnvelopeKms>['kms'];
    const box = createKmsSecretBox({ kms, keyId: KEY_ARN });
    await expect(box.seal(seed, context)).rejects.toHaveProperty('name', 'ThrottlingException');
  });
});

describe('canonical context', () => {
  it('is independent of member order, integer-like names included', () => {
    expect(canonicalContext({ b: '1', a: '2', '10': 'x', '9': 'y' }).toString()).toBe(
      '[["10","x"],["9","y"],["a","2"],["b","1"]]',
    );
    expect(canonicalContext({ a: '2', b: '1' })).toEqual(canonicalContext({ b: '1', a: '2' }));
  });
});
