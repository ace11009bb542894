import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { join } from 'node:path';
import { CryptoError } from '../../domain/crypto-error.js';
import type { PublicJwk, TokenSigner } from '../../ports/signer.js';
import { compactJws, encodeSigningInput, publicJwkOf, withRetirement } from '../es256-jws.js';
import {
  readFileIfExists,
  readOrCreateFile,
  serializeByPath,
  writeFileAtomic,
} from './key-file.js';

/** The key file in the data dir (mode 0600). */
export const SIGNING_KEYS_FILE = 'signing-keys.json';

export interface FileSignerProps {
  /** Folder of `signing-keys.json`; created (0700) when missing. */
  readonly dir: string;
  readonly now: () => Date;
  /**
   * How long a retired key keeps its private half: the token TTL plus the verifiers' clock
   * skew (60 s). Its public half stays in the JWKS for good (receipts are records).
   */
  readonly retainSeconds: number;
}

interface StoredKey {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** Absent once the key was retired for longer than `retainSeconds`: `publicJwk` stays. */
  readonly privateJwk?: {
    readonly kty: string;
    readonly crv: string;
    readonly x: string;
    readonly y: string;
    readonly d: string;
  };
  readonly publicJwk?: {
    readonly kty: string;
    readonly crv: string;
    readonly x: string;
    readonly y: string;
  };
  /** RFC 3339. */
  readonly createdAt: string;
  /** RFC 3339; set when a newer key took over signing. */
  readonly retiredAt?: string;
}

interface KeyFile {
  readonly keys: readonly StoredKey[];
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTime = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));

const invalid = (path: string, why: string): never => {
  throw new CryptoError('key_file_invalid', `${path}: ${why}`);
};

const isStoredKey = (value: unknown): value is StoredKey => {
  const key = value as Partial<Record<keyof StoredKey, unknown>> | null;
  const privateJwk = key?.privateJwk as Record<string, unknown> | null | undefined;
  // A key without its private half is a retired one that keeps only its public half.
  const jwk = (privateJwk ?? (key?.retiredAt ? key.publicJwk : undefined)) as
    | Record<string, unknown>
    | null
    | undefined;
  return (
    isText(key?.kid) &&
    jwk?.kty === 'EC' &&
    jwk.crv === 'P-256' &&
    isText(jwk.x) &&
    isText(jwk.y) &&
    (privateJwk === undefined || isText(jwk.d)) &&
    isTime(key.createdAt) &&
    (key.retiredAt === undefined || isTime(key.retiredAt))
  );
};

// A file we do not understand is refused, never replaced: it may hold the only copy of a key.
const parseKeyFile = (text: string, path: string): KeyFile => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid(path, 'not JSON');
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every(isStoredKey)) return invalid(path, 'unexpected shape');
  return { keys };
};

const serialize = (file: KeyFile): string => `${JSON.stringify(file, null, 2)}\n`;

const newStoredKey = async (now: Date): Promise<StoredKey> => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y, d } = privateKey.export({ format: 'jwk' });
  if (!isText(kty) || !isText(crv) || !isText(x) || !isText(y) || !isText(d)) {
    throw new CryptoError('bad_response', 'Generated key has no JWK form');
  }
  const { kid } = await publicJwkOf(privateKey);
  return { kid, privateJwk: { kty, crv, x, y, d }, createdAt: now.toISOString() };
};

const time = (rfc3339: string): number => Date.parse(rfc3339);

/** The newest key not retired: the one that signs. */
const activeKey = (keys: readonly StoredKey[]): StoredKey | undefined =>
  keys
    .filter((key) => key.retiredAt === undefined)
    .reduce<StoredKey | undefined>(
      (best, key) => (best && time(best.createdAt) > time(key.createdAt) ? best : key),
      undefined,
    );

/** A retired key no signer can still use: its private half may go, its public half stays. */
const pastRetention = (key: StoredKey, nowMs: number, retainSeconds: number): boolean =>
  key.retiredAt !== undefined && time(key.retiredAt) + retainSeconds * 1000 <= nowMs;

const checkRetain = (retainSeconds: number): void => {
  if (!Number.isFinite(retainSeconds) || retainSeconds < 0) {
    throw new RangeError('retainSeconds must be a finite number ≥ 0');
  }
};

/**
 * Local ES256 signer: keys live in `<dir>/signing-keys.json` (mode 0600) as
 * `{ keys: [{ kid, privateJwk, createdAt, retiredAt? }] }`. The first use creates the file
 * with one generated P-256 key (concurrent first calls create one key, see
 * `readOrCreateFile`). The newest key without `retiredAt` signs; the JWKS holds the public
 * members of every key, retired or not.
 *
 * The file is read on every call (a few hundred bytes), so a rotation by another process,
 * such as a CLI, takes effect at once; each key is imported and checked against its `kid`
 * once per process.
 *
 * @example
 * const signer = createFileSigner({ dir: dataDir, now: () => new Date(), retainSeconds: 960 });
 */
export const createFileSigner = (props: FileSignerProps): TokenSigner => {
  checkRetain(props.retainSeconds);
  const path = join(props.dir, SIGNING_KEYS_FILE);
  const imported = new Map<string, { readonly privateKey?: KeyObject; readonly jwk: PublicJwk }>();

  const load = async (): Promise<KeyFile> => {
    const text = await readOrCreateFile(path, async () =>
      serialize({ keys: [await newStoredKey(props.now())] }),
    );
    return parseKeyFile(text.toString('utf8'), path);
  };

  const importKey = async (stored: StoredKey) => {
    const known = imported.get(stored.kid);
    if (known) return known;
    let privateKey: KeyObject | undefined;
    let publicKey: KeyObject;
    try {
      if (stored.privateJwk) {
        privateKey = createPrivateKey({ key: { ...stored.privateJwk }, format: 'jwk' });
        publicKey = privateKey;
      } else {
        publicKey = createPublicKey({ key: { ...stored.publicJwk }, format: 'jwk' });
      }
    } catch (error) {
      throw new CryptoError('key_file_invalid', `${path}: key ${stored.kid} does not load`, {
        cause: error,
      });
    }
    const jwk = await publicJwkOf(publicKey);
    // The kid names the key in every token: one that does not match would publish a key
    // under another key's name.
    if (jwk.kid !== stored.kid) invalid(path, `kid ${stored.kid} is not the key's thumbprint`);
    const entry = { privateKey, jwk };
    imported.set(stored.kid, entry);
    return entry;
  };

  return {
    sign: async (claims, typ) => {
      const active = activeKey((await load()).keys) ?? invalid(path, 'no active signing key');
      const { privateKey } = await importKey(active);
      if (!privateKey) return invalid(path, `key ${active.kid} has no private key`);
      const signingInput = encodeSigningInput(active.kid, claims, typ);
      const signature = sign('sha256', Buffer.from(signingInput), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return compactJws(signingInput, signature);
    },

    publicJwks: async () => {
      // Every key that ever signed, newest first: receipts stay verifiable for good.
      const { keys } = await load();
      // (Rotations append: among keys made in the same millisecond, the later one is newer.)
      const published = [...keys].reverse().sort((a, b) => time(b.createdAt) - time(a.createdAt));
      const jwks = await Promise.all(
        published.map(async (key) => withRetirement((await importKey(key)).jwk, key.retiredAt)),
      );
      return { keys: jwks };
    },
  };
};

/**
 * Rotates the local signing key: a new key signs from now on, the previous one gets
 * `retiredAt = now`, and keys retired longer ago than `retainSeconds` keep only their public
 * half (every key stays in the JWKS: receipts are records). The file is rewritten atomically; rotations in one process run one at a time
 * (two processes rotating at the same instant: the last write wins). Creates the file when
 * missing. Returns the new `kid`.
 *
 * @example
 * await rotateFileSigningKey({ dir: dataDir, now: () => new Date(), retainSeconds: 960 });
 */
export const rotateFileSigningKey = (props: FileSignerProps): Promise<{ readonly kid: string }> => {
  checkRetain(props.retainSeconds);
  const path = join(props.dir, SIGNING_KEYS_FILE);
  return serializeByPath(path, async () => {
    const now = props.now();
    const existing = await readFileIfExists(path);
    const keys = existing ? parseKeyFile(existing.toString('utf8'), path).keys : [];
    const kept = keys.map((key): StoredKey => {
      if (key.retiredAt === undefined) return { ...key, retiredAt: now.toISOString() };
      if (!key.privateJwk || !pastRetention(key, now.getTime(), props.retainSeconds)) return key;
      const { kty, crv, x, y } = key.privateJwk;
      const { privateJwk: _dropped, ...rest } = key;
      return { ...rest, publicJwk: { kty, crv, x, y } };
    });
    const fresh = await newStoredKey(now);
    await writeFileAtomic(path, serialize({ keys: [...kept, fresh] }), { exclusive: false });
    return { kid: fresh.kid };
  });
};
