import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AwsError, startJsonEndpoint } from './json-endpoint.js';

/**
 * A local endpoint speaking the KMS JSON protocol for the calls the functions make, so the
 * production adapters (`kms-secret-box`, `kms-signer`) run locally over the real
 * `@aws-sdk/client-kms`:
 * - `GenerateDataKey` (AES_256) and `Decrypt` on one symmetric key: the data key comes back
 *   wrapped with AES-256-GCM under the key, the encryption context bound as associated data,
 *   so `Decrypt` refuses another context (`InvalidCiphertextException`) or another key named
 *   by `KeyId` (`IncorrectKeyException`), as KMS does;
 * - `Sign` (`ECDSA_SHA_256`, `DIGEST` or `RAW`, answered in DER) and `GetPublicKey` on
 *   ECC_NIST_P256 keys.
 * Keys are made on first start and kept in `<dir>/kms-keys.json` (mode 0600): local data only,
 * never a substitute for KMS in a deployment. Other calls are refused.
 */
export const LOCAL_ACCOUNT = '000000000000';

interface KeyFile {
  readonly symmetric: { readonly id: string; readonly material: string };
  readonly signing: readonly { readonly id: string; readonly privateKeyPem: string }[];
}

const arnOf = (region: string, id: string) => `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/${id}`;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const bytesOf = (value: unknown, name: string): Buffer => {
  if (typeof value !== 'string') throw new AwsError('ValidationException', `${name} is required`);
  return Buffer.from(value, 'base64');
};

/** The encryption context as associated data: its pairs sorted, canonical JSON. */
const contextBytes = (context: unknown) => {
  const pairs = Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return Buffer.from(JSON.stringify(pairs), 'utf8');
};

const loadKeys = async (dir: string): Promise<KeyFile> => {
  const file = path.join(dir, 'kms-keys.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as KeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys: KeyFile = {
    symmetric: { id: randomUUID(), material: randomBytes(32).toString('base64') },
    signing: [
      {
        id: randomUUID(),
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    ],
  };
  await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
};

// P-256 (SEC 2 / FIPS 186-4): node:crypto signs messages, never a given digest, so the
// DIGEST form of Sign is ECDSA written out here.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const inverse = (a: bigint, m: bigint) => {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0, m);
};
const add = (p: Point, q: Point): Point => {
  if (!p) return q;
  if (!q) return p;
  if (p.x === q.x && mod(p.y + q.y, P) === 0n) return null;
  const l =
    p.x === q.x
      ? mod((3n * p.x * p.x + A) * inverse(2n * p.y, P), P)
      : mod((q.y - p.y) * inverse(q.x - p.x, P), P);
  const x = mod(l * l - p.x - q.x, P);
  return { x, y: mod(l * (p.x - x) - p.y, P) };
};
const times = (k: bigint, point: Point): Point => {
  let [result, addend, n] = [null as Point, point, k];
  while (n > 0n) {
    if (n & 1n) result = add(result, addend);
    addend = add(addend, addend);
    n >>= 1n;
  }
  return result;
};
const toBig = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
const derInt = (n: bigint) => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
};
/** ECDSA over a SHA-256 digest, DER encoded (as KMS answers). */
const signDigest = (key: KeyObject, digest: Buffer): Buffer => {
  const d = toBig(Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url'));
  const z = toBig(digest);
  for (;;) {
    const k = mod(toBig(randomBytes(40)), N - 1n) + 1n;
    const r = mod((times(k, G) as { x: bigint }).x, N);
    const s = mod(inverse(k, N) * (z + r * d), N);
    if (r === 0n || s === 0n) continue;
    const body = Buffer.concat([derInt(r), derInt(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
};

export const startKmsEndpoint = async (dir: string, region: string) => {
  const keys = await loadKeys(dir);
  const symmetric = { ...keys.symmetric, arn: arnOf(region, keys.symmetric.id) };
  const signing = keys.signing.map((key) => ({
    id: key.id,
    arn: arnOf(region, key.id),
    privateKey: createPrivateKey(key.privateKeyPem),
  }));
  /** A key named by id or ARN (aliases are not served). */
  const named = (keyId: unknown) => {
    if (keyId === symmetric.id || keyId === symmetric.arn) return { kind: 'symmetric' as const };
    const key = signing.find((k) => k.id === keyId || k.arn === keyId);
    if (key) return { kind: 'signing' as const, key };
    throw new AwsError('NotFoundException', `Key '${String(keyId)}' does not exist`);
  };
  const material = Buffer.from(symmetric.material, 'base64');
  const served = await startJsonEndpoint('TrentService', {
    GenerateDataKey: (input) => {
      if (named(input.KeyId).kind !== 'symmetric')
        throw new AwsError('InvalidKeyUsageException', 'The key cannot encrypt');
      if (input.KeySpec !== 'AES_256')
        throw new AwsError('ValidationException', 'Only KeySpec AES_256 is served');
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', material, iv);
      cipher.setAAD(contextBytes(input.EncryptionContext));
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const id = Buffer.from(symmetric.id, 'utf8');
      const blob = Buffer.concat([Buffer.from([id.length]), id, iv, cipher.getAuthTag(), sealed]);
      return { KeyId: symmetric.arn, Plaintext: b64(plaintext), CiphertextBlob: b64(blob) };
    },
    Decrypt: (input) => {
      const blob = bytesOf(input.CiphertextBlob, 'CiphertextBlob');
      const idLength = blob[0] ?? 0;
      const blobKey = blob.subarray(1, 1 + idLength).toString('utf8');
      if (blobKey !== symmetric.id)
        throw new AwsError('InvalidCiphertextException', 'The ciphertext is not of a known key');
      if (input.KeyId !== undefined && named(input.KeyId).kind !== 'symmetric')
        throw new AwsError('IncorrectKeyException', 'The ciphertext is of another key');
      const iv = blob.subarray(1 + idLength, 13 + idLength);
      const tag = blob.subarray(13 + idLength, 29 + idLength);
      try {
        const decipher = createDecipheriv('aes-256-gcm', material, iv);
        decipher.setAAD(contextBytes(input.EncryptionContext));
        decipher.setAuthTag(tag);
        const plaintext = Buffer.concat([
          decipher.update(blob.subarray(29 + idLength)),
          decipher.final(),
        ]);
        return {
          KeyId: symmetric.arn,
          Plaintext: b64(plaintext),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      } catch {
        throw new AwsError('InvalidCiphertextException', 'The ciphertext or context is wrong');
      }
    },
    Sign: (input) => {
      const found = named(input.KeyId);
      if (found.kind !== 'signing')
        throw new AwsError('InvalidKeyUsageException', 'Not a signing key');
      if (input.SigningAlgorithm !== 'ECDSA_SHA_256')
        throw new AwsError('ValidationException', 'Only ECDSA_SHA_256 is served');
      const message = bytesOf(input.Message, 'Message');
      if (input.MessageType === 'DIGEST' && message.length !== 32)
        throw new AwsError('ValidationException', 'A SHA-256 digest is 32 bytes');
      const digest =
        input.MessageType === 'DIGEST' ? message : createHash('sha256').update(message).digest();
      return {
        KeyId: found.key.arn,
        Signature: b64(signDigest(found.key.privateKey, digest)),
        SigningAlgorithm: 'ECDSA_SHA_256',
      };
    },
    GetPublicKey: (input) => {
      const found = named(input.KeyId);
      if (found.kind !== 'signing')
        throw new AwsError('UnsupportedOperationException', 'Symmetric key');
      return {
        KeyId: found.key.arn,
        PublicKey: b64(
          createPublicKey(found.key.privateKey).export({ type: 'spki', format: 'der' }),
        ),
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ECDSA_SHA_256'],
      };
    },
  });
  return {
    ...served,
    /** The symmetric key's ARN (`SECRET_BOX_KEY_ID`) and the signing keys' (`SIGNING_KEY_IDS`). */
    dataKeyArn: symmetric.arn,
    signingKeyArns: signing.map((key) => key.arn),
  };
};
