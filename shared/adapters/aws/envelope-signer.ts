import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { CryptoError } from '../../domain/crypto-error.js';
import type { SecretBox } from '../../ports/secret-box.js';
import type { PublicJwk, TokenSigner } from '../../ports/signer.js';
import type { ItemKey } from '../../table.js';
import { compactJws, encodeSigningInput, publicJwkOf, withRetirement } from '../es256-jws.js';
import type { TableOps } from './dynamo-table.js';

/**
 * The table item holding the envelope signer's keys. The stack grants the signing function
 * `GetItem`/`PutItem` and the JWKS function `GetItem` on exactly this partition key.
 */
export const SIGNING_KEYS_ITEM: ItemKey = { pk: 'KEYS#token-signing', sk: 'ES256' };

/**
 * `purpose` of the KMS encryption context that seals signing keys. The stack lets only the
 * signing function use the data key with this context, and TOTP functions only without it.
 */
export const SIGNING_KEY_PURPOSE = 'mfa-token-signing-key';

/**
 * One ES256 key: the public JWK in clear, the PKCS#8 private key sealed under KMS. A key
 * retired for longer than `retainSeconds` loses its private key and keeps its public one: it
 * stays in the JWKS for good, so every receipt it signed stays verifiable.
 */
export interface StoredSigningKey {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  /** `envelope-format.ts` string, context `{ purpose, kid }`; absent once dropped. */
  readonly sealedPrivateKey?: string;
  /** RFC 3339. */
  readonly createdAt: string;
  /** RFC 3339; set when a newer key took over signing. */
  readonly retiredAt?: string;
}

export interface SigningKeySet {
  readonly keys: readonly StoredSigningKey[];
  /** Bumped by every rotation (absent on the first set): rotations never overwrite each other. */
  readonly version?: number;
}

/** Where the keys live: one record, created once (first writer wins), replaced by rotations. */
export interface SigningKeyStore {
  get(): Promise<SigningKeySet | undefined>;
  /** Creates the record; false when one exists already (another container won the race). */
  create(set: SigningKeySet): Promise<boolean>;
  /** Replaces `previous` with `next`; false when the record is no longer `previous`'s version. */
  replace(previous: SigningKeySet, next: SigningKeySet): Promise<boolean>;
}

/** The key set as one item of the service table ({@link SIGNING_KEYS_ITEM}). */
export const dynamoSigningKeyStore = (table: TableOps): SigningKeyStore => ({
  get: () => table.get<SigningKeySet>(SIGNING_KEYS_ITEM),
  create: (set) => table.put(SIGNING_KEYS_ITEM, set, 'attribute_not_exists(pk)'),
  replace: async (previous, next) =>
    (await table.update(SIGNING_KEYS_ITEM, {
      update: 'SET #keys = :keys, version = :next',
      condition:
        previous.version === undefined
          ? 'attribute_exists(pk) AND attribute_not_exists(version)'
          : 'version = :previous',
      names: { '#keys': 'keys' },
      values: {
        ':keys': next.keys,
        ':next': next.version,
        ...(previous.version === undefined ? {} : { ':previous': previous.version }),
      },
    })) !== undefined,
});

export interface EnvelopeSignerProps {
  readonly store: SigningKeyStore;
  /** Seals and opens private keys: the KMS secret box over the service's data key. */
  readonly secretBox: SecretBox;
  readonly now: () => Date;
  /** How long a retired key stays in the JWKS: the token TTL plus verifiers' clock skew. */
  readonly retainSeconds: number;
  /**
   * How often a warm signer re-reads the key set to notice a rotation (one `GetItem`; the
   * private key is opened again only when the active key changed). A warm signer may sign
   * with a just-retired key for up to twice this long, so `retainSeconds` must cover the
   * token life, the verifiers' skew and twice this ({@link envelopeRetainSeconds}).
   * @default 300
   */
  readonly refreshSeconds?: number;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTime = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));
const time = (rfc3339: string): number => Date.parse(rfc3339);

const refuse = (why: string): never => {
  throw new CryptoError('key_refused', `Signing key set: ${why}`);
};

/** The public JWK recomputed from its coordinates: its kid must be the stored one. */
const checkedPublicJwk = async (stored: StoredSigningKey): Promise<PublicJwk> => {
  const { kty, crv, x, y } = (stored.publicJwk ?? {}) as Partial<PublicJwk>;
  let jwk: PublicJwk;
  try {
    jwk = await publicJwkOf(createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }));
  } catch {
    return refuse(`key ${stored.kid} has no valid P-256 public key`);
  }
  if (jwk.kid !== stored.kid) refuse(`kid ${stored.kid} is not its key's thumbprint`);
  return jwk;
};

const parseSet = (value: unknown): SigningKeySet => {
  const { keys, version } = (value ?? {}) as { keys?: unknown; version?: unknown };
  if (version !== undefined && !Number.isInteger(version)) refuse('unexpected version');
  if (!Array.isArray(keys)) return refuse('no keys list');
  for (const key of keys as Partial<StoredSigningKey>[]) {
    const ok =
      isText(key?.kid) &&
      (key.sealedPrivateKey === undefined || isText(key.sealedPrivateKey)) &&
      // Only a retired key may have lost its private half.
      (key.sealedPrivateKey !== undefined || key.retiredAt !== undefined) &&
      typeof key.publicJwk === 'object' &&
      isTime(key.createdAt) &&
      (key.retiredAt === undefined || isTime(key.retiredAt));
    if (!ok) refuse('unexpected key shape');
  }
  return {
    keys: keys as StoredSigningKey[],
    ...(version === undefined ? {} : { version: version as number }),
  };
};

/** The newest key not retired: the one that signs. */
const activeKeyOf = (set: SigningKeySet): StoredSigningKey =>
  set.keys
    .filter((key) => key.retiredAt === undefined)
    .reduce<StoredSigningKey | undefined>(
      (best, key) => (best && time(best.createdAt) > time(key.createdAt) ? best : key),
      undefined,
    ) ?? refuse('no active key');

const sealContext = (kid: string) => ({ purpose: SIGNING_KEY_PURPOSE, kid });

/** A fresh P-256 key: its private half leaves this function only sealed. */
const newStoredKey = async (secretBox: SecretBox, now: Date): Promise<StoredSigningKey> => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = await publicJwkOf(publicKey);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    const sealedPrivateKey = await secretBox.seal(der, sealContext(publicJwk.kid));
    return { kid: publicJwk.kid, publicJwk, sealedPrivateKey, createdAt: now.toISOString() };
  } finally {
    der.fill(0);
  }
};

interface ActiveKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/** Opens a stored key (one KMS `Decrypt`) and checks it is the key its kid names. */
const openKey = async (secretBox: SecretBox, stored: StoredSigningKey): Promise<ActiveKey> => {
  if (!stored.sealedPrivateKey) return refuse(`key ${stored.kid} has no private key`);
  const der = await secretBox.open(stored.sealedPrivateKey, sealContext(stored.kid));
  let privateKey: KeyObject;
  try {
    // A view, not a copy: the one buffer holding the plaintext key is zeroed below.
    const view = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
    privateKey = createPrivateKey({ key: view, format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new CryptoError('key_refused', `Signing key ${stored.kid} does not load`, {
      cause: error,
    });
  } finally {
    der.fill(0);
  }
  if ((await publicJwkOf(privateKey)).kid !== stored.kid) {
    refuse(`key ${stored.kid} does not match its kid`);
  }
  return { kid: stored.kid, privateKey };
};

/** Default re-read interval of a warm envelope signer. */
export const ENVELOPE_REFRESH_SECONDS = 300;

/**
 * How long a retired envelope key must stay published: a warm signer may still sign with it
 * for two refresh intervals, and its last token lives `tokenTtlSeconds` plus 60 s of skew.
 */
export const envelopeRetainSeconds = (tokenTtlSeconds: number): number =>
  tokenTtlSeconds + 60 + 2 * ENVELOPE_REFRESH_SECONDS;

/** The stored key set, created with a first key when there is none. */
const readOrCreate = async (
  props: Pick<EnvelopeSignerProps, 'store' | 'secretBox' | 'now'>,
): Promise<SigningKeySet> => {
  const { store, secretBox, now } = props;
  const existing = await store.get();
  if (existing) return parseSet(existing);
  const created = { keys: [await newStoredKey(secretBox, now())] };
  if (await store.create(created)) return created;
  const winner = await store.get();
  return winner ? parseSet(winner) : refuse('lost the first write, then found no key');
};

/**
 * Rotation of the envelope signer's key: a new key is added and signs from the next refresh of
 * each warm signer (`refreshSeconds`, 5 min by default); the key that signed until now is marked
 * retired; keys retired longer ago than `retainSeconds` (no warm signer can still use them)
 * have their private key dropped. Every public key stays in the JWKS for good: receipts are
 * records, and a key that ever signed one must still verify it. One conditional write: of two
 * rotations at once, one fails and changes nothing.
 */
export const rotateEnvelopeSigningKey = async (
  props: Pick<EnvelopeSignerProps, 'store' | 'secretBox' | 'now' | 'retainSeconds'>,
): Promise<{ kid: string; retired: string[]; dropped: string[] }> => {
  const { store, secretBox, now, retainSeconds } = props;
  const set = await readOrCreate(props);
  const fresh = await newStoredKey(secretBox, now());
  const at = now();
  const expired = (key: StoredSigningKey) =>
    key.retiredAt !== undefined && time(key.retiredAt) + retainSeconds * 1000 <= at.getTime();
  const dropped = set.keys.filter((key) => expired(key) && key.sealedPrivateKey !== undefined);
  const next: SigningKeySet = {
    keys: [
      fresh,
      ...set.keys.map((key): StoredSigningKey => {
        if (!key.retiredAt) return { ...key, retiredAt: at.toISOString() };
        if (!expired(key)) return key;
        const { sealedPrivateKey: _dropped, ...publicOnly } = key;
        return publicOnly;
      }),
    ],
    version: (set.version ?? 0) + 1,
  };
  if (!(await store.replace(set, next))) {
    throw new CryptoError('key_refused', 'The signing key set changed meanwhile: run it again');
  }
  return {
    kid: fresh.kid,
    retired: set.keys.filter((key) => !key.retiredAt).map((key) => key.kid),
    dropped: dropped.map((key) => key.kid),
  };
};

/**
 * ES256 token signer with an envelope-encrypted key ("envelope" signing mode): the private
 * key is a P-256 key sealed under the service's KMS data key (`envelope-format.ts`, KMS
 * encryption context `{ purpose: "mfa-token-signing-key", kid }`) and kept, with its public
 * JWK in clear, in one table item. The signer opens it once per cold start (one KMS
 * `Decrypt`) and signs in process: no KMS call per token, unlike `createKmsSigner`, at the
 * price of the private key living in the function's memory.
 *
 * The first `sign` of a new deployment creates the key set (a conditional put: of two
 * containers racing, one key wins and both use it). `publicJwks` never creates: before the
 * first token it publishes no key, and verifiers fetch the JWKS again on an unknown kid.
 * A warm signer re-reads the set every `refreshSeconds` to follow a rotation (the newest
 * unretired key signs; every key stays published, a retired one's private half dropped at the
 * next rotation after `retainSeconds`); when that read
 * fails it keeps signing with the key it holds. Every other failure rejects: there is no
 * fallback key and never an unsigned token.
 *
 * IAM: the table item (`GetItem`, `PutItem` for the first key), `kms:GenerateDataKey`
 * (first key only) and `kms:Decrypt` on the data key with that encryption context; the JWKS
 * function needs only `GetItem`.
 *
 * @example
 * const signer = createEnvelopeSigner({
 *   store: dynamoSigningKeyStore(tableOps(ddb, tableName)),
 *   secretBox: createKmsSecretBox({ kms, keyId: dataKeyArn }),
 *   now: () => new Date(),
 *   retainSeconds: 960,
 * });
 */
export const createEnvelopeSigner = (props: EnvelopeSignerProps): TokenSigner => {
  const { store, secretBox, now, retainSeconds } = props;
  if (!Number.isFinite(retainSeconds) || retainSeconds < 0) {
    throw new RangeError('retainSeconds must be a finite number ≥ 0');
  }
  const refreshMs = (props.refreshSeconds ?? ENVELOPE_REFRESH_SECONDS) * 1000;
  let current: ActiveKey | undefined;
  let checkedAtMs = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;

  const refresh = async () => {
    const stored = activeKeyOf(await readOrCreate(props));
    if (current?.kid !== stored.kid) current = await openKey(secretBox, stored);
    checkedAtMs = now().getTime();
  };

  const activeKey = async (): Promise<ActiveKey> => {
    if (current && now().getTime() - checkedAtMs < refreshMs) return current;
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    try {
      await refreshing;
    } catch (error) {
      // A key opened before keeps signing through a failed re-read for one more refresh
      // interval: it may have been retired meanwhile, and a retired key stays published only
      // for `retainSeconds`. Past that, no token: one its key may outlive is worse.
      if (!current || now().getTime() - checkedAtMs >= 2 * refreshMs) throw error;
    }
    return current as ActiveKey;
  };

  return {
    sign: async (claims, typ) => {
      const { kid, privateKey } = await activeKey();
      const signingInput = encodeSigningInput(kid, claims, typ);
      const signature = sign('sha256', Buffer.from(signingInput), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return compactJws(signingInput, signature);
    },

    publicJwks: async () => {
      const found = await store.get();
      if (!found) return { keys: [] };
      // Every key that ever signed, newest first: receipts stay verifiable for good.
      const published = [...parseSet(found).keys].sort(
        (a, b) => time(b.createdAt) - time(a.createdAt),
      );
      return {
        keys: await Promise.all(
          published.map(async (key) => withRetirement(await checkedPublicJwk(key), key.retiredAt)),
        ),
      };
    },
  };
};
