import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  GetPublicKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSInternalException,
  NotFoundException,
  SignCommand,
} from '@aws-sdk/client-kms';
import type { KmsSecretBoxProps } from '../../shared/adapters/aws/kms-secret-box.js';
import type { KmsSignerProps } from '../../shared/adapters/aws/kms-signer.js';

/**
 * A KMS stand-in for unit tests, answering the four commands the key adapters send the way
 * KMS does: `Sign` with `MessageType: 'DIGEST'` signs the given digest itself (raw ECDSA,
 * below, because node:crypto always hashes) and answers DER; `GenerateDataKey`/`Decrypt` wrap
 * with a real AES key and refuse a different encryption context or key.
 */

// NIST P-256 (FIPS 186-4 D.1.2.3).
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const inverse = (a: bigint, m: bigint): bigint => {
  let [oldR, r, oldS, s] = [mod(a, m), m, 1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
};
const add = (a: Point, b: Point): Point => {
  if (!a) return b;
  if (!b) return a;
  if (a.x === b.x && mod(a.y + b.y, P) === 0n) return null;
  const slope =
    a.x === b.x
      ? mod((3n * a.x * a.x - 3n) * inverse(2n * a.y, P), P)
      : mod((b.y - a.y) * inverse(b.x - a.x, P), P);
  const x = mod(slope * slope - a.x - b.x, P);
  return { x, y: mod(slope * (a.x - x) - a.y, P) };
};
const multiply = (k: bigint, point: Point): Point => {
  let result: Point = null;
  let addend = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
};
const toBigInt = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);

/** Minimal DER INTEGER of a positive number, written independently of the code under test. */
const derInteger = (value: bigint): Buffer => {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
};

/**
 * ECDSA over a given 32-byte digest, answered as DER, as KMS `Sign` with `DIGEST` does: s is
 * low or high at random, like KMS's; `highS` always answers the (r, n − s) form with s > n/2.
 */
export const signDigestDer = (
  privateKey: KeyObject,
  digest: Uint8Array,
  highS = false,
): Uint8Array => {
  const { d } = privateKey.export({ format: 'jwk' });
  const secret = toBigInt(Buffer.from(d ?? '', 'base64url'));
  const e = toBigInt(digest);
  for (;;) {
    const k = mod(toBigInt(randomBytes(40)), N - 1n) + 1n;
    const r = mod(multiply(k, G)?.x ?? 0n, N);
    const random = mod(inverse(k, N) * (e + r * secret), N);
    if (r === 0n || random === 0n) continue;
    const s = highS && random <= N / 2n ? N - random : random;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
};

export interface FakeSigningKey {
  /** The id the adapter is configured with (id or alias). */
  readonly id: string;
  readonly arn: string;
  readonly privateKey: KeyObject;
  readonly keySpec?: string;
  readonly keyUsage?: string;
  /** Every `Sign` answers a high-S signature (valid, but the form verifiers refuse). */
  readonly highS?: boolean;
}

const metadata = { $metadata: {} };

/** A fake KMS for the signer; `calls` records every command, `failNext` makes KMS fail. */
export const fakeSigningKms = (keys: readonly FakeSigningKey[]) => {
  const calls: Array<SignCommand | GetPublicKeyCommand> = [];
  let failure: Error | undefined;
  const find = (keyId: string | undefined) => {
    const key = keys.find((k) => k.id === keyId || k.arn === keyId);
    if (!key) throw new NotFoundException({ message: 'no such key', ...metadata });
    return key;
  };
  const send = async (command: SignCommand | GetPublicKeyCommand) => {
    calls.push(command);
    if (failure) throw failure;
    if (command instanceof GetPublicKeyCommand) {
      const key = find(command.input.KeyId);
      return {
        ...metadata,
        KeyId: key.arn,
        KeySpec: key.keySpec ?? 'ECC_NIST_P256',
        KeyUsage: key.keyUsage ?? 'SIGN_VERIFY',
        SigningAlgorithms: ['ECDSA_SHA_256'],
        PublicKey: new Uint8Array(
          createPublicKey(key.privateKey).export({ type: 'spki', format: 'der' }),
        ),
      };
    }
    if (command instanceof SignCommand) {
      const { KeyId, Message, MessageType, SigningAlgorithm } = command.input;
      // KMS refuses a DIGEST whose length does not fit the algorithm.
      if (MessageType !== 'DIGEST' || SigningAlgorithm !== 'ECDSA_SHA_256' || !Message) {
        throw new Error('fake KMS: unexpected Sign parameters');
      }
      if (Message.length !== 32) throw new Error('fake KMS: digest must be 32 bytes');
      const key = find(KeyId);
      return {
        ...metadata,
        KeyId: key.arn,
        Signature: signDigestDer(key.privateKey, Message, key.highS),
      };
    }
    throw new Error('fake KMS: unexpected command');
  };
  return {
    kms: { send } as unknown as KmsSignerProps['kms'],
    calls,
    failNext: (error: Error = new KMSInternalException({ message: 'down', ...metadata })) => {
      failure = error;
    },
    recover: () => {
      failure = undefined;
    },
  };
};

const contextAad = (context: Record<string, string> | undefined) =>
  Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort()));

/** A fake KMS for envelope encryption; blobs are `keyId \0 iv tag ciphertext`. */
export const fakeEnvelopeKms = (keyArn: string) => {
  const master = randomBytes(32);
  const calls: Array<GenerateDataKeyCommand | DecryptCommand> = [];
  const send = async (command: GenerateDataKeyCommand | DecryptCommand) => {
    calls.push(command);
    if (command instanceof GenerateDataKeyCommand) {
      if (command.input.KeyId !== keyArn || command.input.KeySpec !== 'AES_256') {
        throw new Error('fake KMS: unexpected GenerateDataKey parameters');
      }
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', master, iv).setAAD(
        contextAad(command.input.EncryptionContext),
      );
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const blob = Buffer.concat([Buffer.from(`${keyArn}\0`), iv, cipher.getAuthTag(), sealed]);
      return {
        ...metadata,
        KeyId: keyArn,
        Plaintext: new Uint8Array(plaintext),
        CiphertextBlob: blob,
      };
    }
    if (command instanceof DecryptCommand) {
      const blob = Buffer.from(command.input.CiphertextBlob ?? []);
      const split = blob.indexOf(0);
      if (blob.subarray(0, split).toString() !== command.input.KeyId) {
        throw new IncorrectKeyException({ message: 'wrong key', ...metadata });
      }
      const rest = blob.subarray(split + 1);
      const decipher = createDecipheriv('aes-256-gcm', master, rest.subarray(0, 12));
      decipher.setAAD(contextAad(command.input.EncryptionContext));
      decipher.setAuthTag(rest.subarray(12, 28));
      try {
        const plaintext = Buffer.concat([decipher.update(rest.subarray(28)), decipher.final()]);
        return { ...metadata, KeyId: keyArn, Plaintext: new Uint8Array(plaintext) };
      } catch {
        throw new InvalidCiphertextException({ message: 'no', ...metadata });
      }
    }
    throw new Error('fake KMS: unexpected command');
  };
  return { kms: { send } as unknown as KmsSecretBoxProps['kms'], calls };
};
