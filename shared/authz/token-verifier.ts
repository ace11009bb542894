import { type KeyObject, verify as verifySignature } from 'node:crypto';
import { isLowSP256 } from '../domain/ecdsa-signature.js';
import {
  EXEMPT_ACR,
  MAX_TOKEN_TTL_SECONDS,
  MFA_TOKEN_ALG,
  MFA_TOKEN_TYPE,
  type MfaTokenClaims,
} from '../domain/mfa-token.js';
import { type KeySource, retiredAtOf } from './jwks-source.js';

/** Why a token was refused: short, stable, safe to log (never token content). */
export type InvalidTokenReason =
  | 'malformed'
  | 'alg'
  | 'typ'
  | 'kid'
  | 'signature'
  | 'iss'
  | 'aud'
  | 'exp'
  | 'nbf'
  | 'claims'
  /** Signed by a retired key after it retired (its JWK's `retired_at`): a leaked key. */
  | 'retired'
  /** `exp` further from `iat` than any token of the service lives (`maxLifetimeSeconds`). */
  | 'lifetime';

/** The one error of the verifier; callers branch on `code` and log `reason`. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
  readonly code = 'invalid_token' as const;

  constructor(readonly reason: InvalidTokenReason) {
    super(`Invalid token (${reason})`);
  }
}

export interface MfaTokenVerifierOptions {
  /** The only accepted `iss`. */
  readonly issuer: string;
  /**
   * Accepted `aud` values, or `'*'` for any non-empty `aud`. `'*'` is safe here because only
   * this service signs MFA tokens and it issues them only to registered clients: a valid
   * signature already proves the audience is one of them (API.md: the demo routes accept
   * tokens of any registered client).
   */
  readonly audiences: readonly string[] | '*';
  readonly keys: KeySource;
  /** Epoch milliseconds; injected so tests control time. */
  readonly now: () => number;
  /** Tolerated clock difference for `exp`, `nbf` and `auth_time`. @default 60 */
  readonly maxSkewSeconds?: number;
  /**
   * The longest life (`exp - iat`) of a token the service signs: a longer one was not made by
   * it, and without this bound a leaked retired key could sign a backdated token (`iat`
   * before `retired_at`) good for years. @default MAX_TOKEN_TTL_SECONDS (3600)
   */
  readonly maxLifetimeSeconds?: number;
  /** Verified tokens remembered (LRU). 0 disables the cache. @default 10_000 */
  readonly cacheSize?: number;
}

export interface MfaTokenVerifier {
  /** The token's claims, or throws `InvalidTokenError`. */
  verify(token: string): Promise<MfaTokenClaims>;
}

/** Far above any MFA token (~1 KB even with authorization details); bounds the work. */
const MAX_TOKEN_LENGTH = 8192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** base64url (no padding) of a 64-byte raw r||s ES256 signature. */
const SIGNATURE_CHARS = 86;
const SIGNATURE_BYTES = 64;
/** base64url characters whose low 4 bits are zero: the only valid last character of 64 bytes. */
const CANONICAL_LAST = /[AQgw]$/;

// A declaration (not an arrow) so TypeScript narrows after `if (...) fail(...)`.
function fail(reason: InvalidTokenReason): never {
  throw new InvalidTokenError(reason);
}

const parseJsonObject = (part: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return fail('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('malformed');
  return value as Record<string, unknown>;
};

/**
 * RFC 7515 §4.1.9: `typ` is a media type, compared case-insensitively, and the
 * `application/` prefix may be left out; RFC 8725 §3.11 uses it to keep token kinds apart.
 */
const isMfaType = (typ: unknown): boolean => {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return lower === MFA_TOKEN_TYPE || lower === `application/${MFA_TOKEN_TYPE}`;
};

/** Checks the header and returns its `kid`. */
const checkHeader = (header: Record<string, unknown>): string => {
  if (header.alg !== MFA_TOKEN_ALG) fail('alg');
  if (!isMfaType(header.typ)) fail('typ');
  // We understand no extension, so any `crit` (RFC 7515 §4.1.11) makes the token unusable.
  if ('crit' in header) fail('malformed');
  const { kid } = header;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) return fail('kid');
  return kid;
};

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
};

interface CacheEntry {
  readonly claims: MfaTokenClaims;
  /** Epoch seconds from which the entry is dead: `exp` plus the skew. */
  readonly deadAfterSeconds: number;
}

/**
 * A strict ES256 verifier for MFA tokens (API.md "The MFA token"). Order matters: the
 * structure and header are checked first, then the signature (its low-S form only, so a
 * token has exactly one valid string) with a `KeyObject` built once per key, and only then is
 * any claim parsed and trusted. Verified tokens are remembered by their exact string (bounded
 * LRU) until `exp` plus skew; refused tokens never are.
 *
 * A cached token stays accepted until it expires even if its key leaves the JWKS: key
 * removal is rotation, not revocation (tokens live minutes).
 *
 * @example
 * const verifier = createMfaTokenVerifier({
 *   issuer: 'https://mfa.example', audiences: '*', keys: staticKeySource(jwks), now: Date.now,
 * });
 * const claims = await verifier.verify(token); // throws InvalidTokenError
 */
export const createMfaTokenVerifier = (options: MfaTokenVerifierOptions): MfaTokenVerifier => {
  const skew = options.maxSkewSeconds ?? 60;
  const maxLifetime = options.maxLifetimeSeconds ?? MAX_TOKEN_TTL_SECONDS;
  const cacheSize = options.cacheSize ?? 10_000;
  const audiences = options.audiences === '*' ? '*' : new Set(options.audiences);
  const cache = new Map<string, CacheEntry>();
  // Defence in depth: whatever a KeySource returns, only P-256 public keys verify.
  const checkedKeys = new WeakSet<KeyObject>();
  const isP256Public = (key: KeyObject): boolean => {
    if (checkedKeys.has(key)) return true;
    const ok =
      key.type === 'public' &&
      key.asymmetricKeyType === 'ec' &&
      key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    if (ok) checkedKeys.add(key);
    return ok;
  };

  const checkClaims = (payload: Record<string, unknown>, nowSeconds: number): MfaTokenClaims => {
    if (payload.iss !== options.issuer) fail('iss');
    const { aud, exp, nbf } = payload;
    if (!isText(aud) || (audiences !== '*' && !audiences.has(aud))) fail('aud');
    if (!isNumber(exp)) fail('claims');
    if (exp <= nowSeconds - skew) fail('exp');
    if (nbf !== undefined && (!isNumber(nbf) || nbf > nowSeconds + skew)) fail('nbf');
    const { iat, auth_time: authTime, sub, jti, txn, amr, acr } = payload;
    // An exempt token (a policy exemption) says nobody authenticated: no auth_time, no amr.
    // Any other token has both; a token of neither shape is refused.
    const authenticated =
      acr === EXEMPT_ACR
        ? authTime === undefined && amr === undefined
        : isNumber(authTime) &&
          authTime <= nowSeconds + skew &&
          // The factor was verified before the token was signed; a later auth_time is the
          // signer's fiction (with a backdated iat it would pass any route's max age).
          isNumber(iat) &&
          authTime <= iat + skew &&
          Array.isArray(amr) &&
          amr.every((value) => typeof value === 'string');
    const valid =
      // Not issued in the future: an exempt token's age counts from `iat`.
      isNumber(iat) &&
      iat <= nowSeconds + skew &&
      authenticated &&
      isText(sub) &&
      isText(jti) &&
      isText(txn) &&
      typeof acr === 'string' &&
      (payload.consent_id === undefined || typeof payload.consent_id === 'string') &&
      (payload.payee_account === undefined || typeof payload.payee_account === 'string') &&
      (payload.authorization_details === undefined || Array.isArray(payload.authorization_details));
    if (!valid) fail('claims');
    if (exp - (iat as number) > maxLifetime + skew) fail('lifetime');
    // Frozen: the same object is handed to every caller of a cached token.
    return deepFreeze(payload) as unknown as MfaTokenClaims;
  };

  const remember = (token: string, claims: MfaTokenClaims) => {
    if (cacheSize <= 0) return;
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(token, { claims, deadAfterSeconds: claims.exp + skew });
  };

  const verify = async (token: string): Promise<MfaTokenClaims> => {
    const nowSeconds = Math.floor(options.now() / 1000);
    const cached = cache.get(token);
    if (cached) {
      cache.delete(token);
      if (nowSeconds >= cached.deadAfterSeconds) fail('exp');
      cache.set(token, cached); // most recently used goes last
      return cached.claims;
    }

    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) fail('malformed');
    const firstDot = token.indexOf('.');
    const secondDot = token.indexOf('.', firstDot + 1);
    if (firstDot <= 0 || secondDot <= firstDot + 1 || token.includes('.', secondDot + 1)) {
      fail('malformed');
    }
    const headerPart = token.slice(0, firstDot);
    const payloadPart = token.slice(firstDot + 1, secondDot);
    const signaturePart = token.slice(secondDot + 1);
    // Buffer's base64url decoder skips foreign characters; refuse them instead.
    if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart)) fail('malformed');

    const kid = checkHeader(parseJsonObject(headerPart));
    if (signaturePart.length !== SIGNATURE_CHARS || !BASE64URL.test(signaturePart)) {
      fail('signature'); // e.g. a DER-encoded signature: JOSE uses raw r||s only
    }
    const signature = Buffer.from(signaturePart, 'base64url');
    if (signature.length !== SIGNATURE_BYTES) fail('signature');
    // The last of 86 characters carries 4 unused bits that decoding ignores: only the
    // canonical spelling (those bits zero) is accepted, so a token has one string.
    if (!CANONICAL_LAST.test(signaturePart)) fail('signature');
    // (r, n − s) verifies as well as (r, s): without this, anyone could turn one token into
    // a second string with the same claims. Our signers emit low-S only (es256-jws.ts).
    if (!isLowSP256(signature)) fail('signature');

    let key: KeyObject | undefined;
    try {
      key = await options.keys.getKey(kid);
    } catch {
      key = undefined;
    }
    if (!key || !isP256Public(key)) return fail('kid');
    const signed = Buffer.from(token.slice(0, secondDot), 'latin1');
    if (!verifySignature('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)) {
      fail('signature');
    }

    // The clock is read again: a JWKS refresh may have taken a while.
    const claims = checkClaims(parseJsonObject(payloadPart), Math.floor(options.now() / 1000));
    const retiredAt = retiredAtOf(key);
    if (retiredAt !== undefined && claims.iat > retiredAt + skew) fail('retired');
    remember(token, claims);
    return claims;
  };

  return { verify };
};
