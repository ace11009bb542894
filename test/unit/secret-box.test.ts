import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKmsSecretBox } from '../../shared/adapters/aws/kms-secret-box.js';
import { canonicalContext } from '../../shared/adapters/envelope-format.js';
import {
  createFileSecretBox,
  SECRET_BOX_KEY_FILE,
} from '../../shared/adapters/file/file-secret-box.js';
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

const boxes: Array<{ name: string; make: () => SecretBox }> = [
  { name: 'file', make: () => createFileSecretBox({ dir }) },
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

describe('file secret box', () => {
  it('creates one 0600 master key on first use, shared by concurrent callers', async () => {
    const a = createFileSecretBox({ dir });
    const b = createFileSecretBox({ dir });
    const sealed = await Promise.all([
      a.seal(seed, context),
      b.seal(seed, context),
      a.seal(seed, context),
    ]);
    const path = join(dir, SECRET_BOX_KEY_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(path)).size).toBe(32);
    expect(await readdir(dir)).toEqual([SECRET_BOX_KEY_FILE]);
    // Every secret opens with a box started later: one master key was kept.
    const later = createFileSecretBox({ dir });
    for (const one of sealed) expect(Buffer.from(await later.open(one, context))).toEqual(seed);
  });

  it('does not open under another master key', async () => {
    const sealed = await createFileSecretBox({ dir }).seal(seed, context);
    const other = join(dir, '..', 'other');
    await refused(createFileSecretBox({ dir: other }).open(sealed, context), 'unseal_failed');
  });

  it('refuses a master key file of the wrong size', async () => {
    await createFileSecretBox({ dir }).seal(seed, context);
    await writeFile(join(dir, SECRET_BOX_KEY_FILE), Buffer.alloc(16, 1));
    await refused(createFileSecretBox({ dir }).seal(seed, context), 'key_file_invalid');
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
