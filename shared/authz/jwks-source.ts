import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { MFA_TOKEN_ALG } from '../domain/mfa-token.js';
import { boundedText } from '../http/bounded-body.js';
import type { Logger } from '../log.js';

/**
 * Where the verifier finds public keys. Implementations return only EC P-256 public keys
 * meant for ES256 signatures, already turned into `KeyObject`s, so the hot path never
 * parses a JWK.
 */
export interface KeySource {
  /** The public key for a `kid`, or `undefined` when the key is unknown (or unreachable). */
  getKey(kid: string): Promise<KeyObject | undefined>;
}

/** Why a JWK was not used; names only, never key material. */
export type RejectedKeyReason =
  | 'not_object'
  | 'private'
  | 'kid'
  | 'kty'
  | 'alg'
  | 'use'
  | 'invalid';

/** A JWKS as served by the issuer: `{ keys: [...] }`. */
export interface Jwks {
  readonly keys: readonly JWK[];
}

const MAX_KID_LENGTH = 256;

// Members that exist only on private or symmetric keys: a JWKS holding one is a leak, and
// its key must never be trusted as if it were a plain public key.
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** `retired_at` of a published key (a retired signing key): see `retiredAtOf`. */
const RETIRED_AT = new WeakMap<KeyObject, number>();

/**
 * When a key stopped signing (its JWK's `retired_at`, NumericDate), or undefined for a key
 * that signs now: a token it signed later than that is forged with a leaked retired key.
 */
export const retiredAtOf = (key: KeyObject): number | undefined => RETIRED_AT.get(key);

const classify = (jwk: unknown): { kid: string; key: KeyObject } | RejectedKeyReason => {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'not_object';
  const record = jwk as Record<string, unknown>;
  if (SECRET_MEMBERS.some((name) => name in record)) return 'private';
  const { kid, kty, crv, x, y, alg, use, key_ops: keyOps } = record;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return 'kid';
  if (kty !== 'EC' || crv !== 'P-256') return 'kty';
  if (alg !== undefined && alg !== MFA_TOKEN_ALG) return 'alg';
  if (use !== undefined && use !== 'sig') return 'use';
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) return 'use';
  if (typeof x !== 'string' || typeof y !== 'string') return 'invalid';
  try {
    // Only the public members go to OpenSSL; it checks that the point is on the curve.
    const key = createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });
    const retiredAt = record.retired_at;
    if (retiredAt !== undefined) {
      if (typeof retiredAt !== 'number' || !Number.isFinite(retiredAt)) return 'invalid';
      RETIRED_AT.set(key, retiredAt);
    }
    return { kid, key };
  } catch {
    return 'invalid';
  }
};

/**
 * Turns a JWKS into `KeyObject`s by `kid`, keeping only ES256 public signing keys. Rejected
 * keys are reported by `kid` (when it is a string) and reason. A repeated `kid` keeps the
 * first key: two keys under one name would make the choice depend on order.
 */
export const importJwks = (
  jwks: unknown,
  onRejected: (kid: string | undefined, reason: RejectedKeyReason | 'duplicate') => void = () => {},
): Map<string, KeyObject> => {
  const keys = new Map<string, KeyObject>();
  const list = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('JWKS has no "keys" array');
  for (const jwk of list) {
    const result = classify(jwk);
    if (typeof result === 'string') {
      const kid = (jwk as { kid?: unknown } | null)?.kid;
      onRejected(typeof kid === 'string' ? kid : undefined, result);
    } else if (keys.has(result.kid)) {
      onRejected(result.kid, 'duplicate');
    } else {
      keys.set(result.kid, result.key);
    }
  }
  return keys;
};

/**
 * A fixed set of keys (tests, bench, a local key file). Refuses a JWKS that holds a private
 * key outright: that is a configuration mistake worth failing on, not a key to skip.
 *
 * @example
 * const keys = staticKeySource({ keys: [await exportJWK(publicKey)].map((k) => ({ ...k, kid: 'k1' })) });
 */
export const staticKeySource = (jwks: Jwks): KeySource => {
  const keys = importJwks(jwks, (kid, reason) => {
    if (reason === 'private') throw new Error(`JWKS key ${kid ?? '(no kid)'} has private members`);
  });
  return { getKey: async (kid) => keys.get(kid) };
};

export interface RemoteJwksOptions {
  /** The issuer's `jwks_uri`. */
  readonly url: string;
  /** Injected for tests. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** At most one fetch per this interval, whatever unknown kids arrive. @default 30_000 */
  readonly minRefreshIntervalMs?: number;
  /**
   * Keys loaded longer ago than this are loaded again before use (a key's `retired_at`, set
   * at a rotation, must reach a warm verifier). @default 300_000
   */
  readonly maxAgeMs?: number;
  /** @default 3000 */
  readonly timeoutMs?: number;
  /** Receives refresh failures and refused keys (names and reasons only). */
  readonly logger?: Logger;
}

/** Bigger than any sane JWKS (~300 keys); stops a misbehaving endpoint from filling the memory. */
export const MAX_JWKS_BYTES = 64 * 1024;

/**
 * Keys from the issuer's JWKS endpoint, cached in memory by `kid`. The first lookup loads
 * the set; a known `kid` touches the network only once the set is older than `maxAgeMs`
 * (5 min: a retired key's `retired_at` must reach warm verifiers). An unknown `kid` (key rotation) triggers
 * a refresh at most once per `minRefreshIntervalMs`, so a flood of tokens with made-up kids
 * costs one fetch per interval; concurrent lookups share the one fetch in flight. A failed
 * refresh keeps the keys already known, and the unknown `kid` stays unknown.
 */
export const remoteJwksSource = (options: RemoteJwksOptions): KeySource => {
  const fetchJwks = options.fetch ?? globalThis.fetch;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxAgeMs = options.maxAgeMs ?? 300_000;
  let keys = new Map<string, KeyObject>();
  let loadedAtMs: number | undefined;
  let lastAttemptMs: number | undefined;
  let inFlight: Promise<void> | undefined;

  const load = async (): Promise<void> => {
    try {
      const response = await fetchJwks(options.url, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`JWKS endpoint answered ${response.status}`);
      const text = await boundedText(response, MAX_JWKS_BYTES);
      keys = importJwks(JSON.parse(text), (kid, reason) =>
        options.logger?.warn('jwks key refused', { kid, reason }),
      );
      loadedAtMs = options.now();
    } catch (error) {
      options.logger?.warn('jwks refresh failed', { error });
    }
  };

  const refresh = (): Promise<void> => {
    if (inFlight) return inFlight;
    const nowMs = options.now();
    if (lastAttemptMs !== undefined && nowMs - lastAttemptMs < minRefreshIntervalMs) {
      return Promise.resolve();
    }
    lastAttemptMs = nowMs;
    inFlight = load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    getKey: async (kid) => {
      const known = keys.get(kid);
      const fresh = loadedAtMs !== undefined && options.now() - loadedAtMs < maxAgeMs;
      if (known && fresh) return known;
      // Unknown (a rotation) or stale (a retirement to learn): load again, at most once per
      // interval; a failed load keeps the keys already known.
      await refresh();
      return keys.get(kid);
    },
  };
};
