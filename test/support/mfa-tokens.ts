import { KeyObject, sign } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { Jwks } from '../../shared/authz/jwks-source.js';
import { toLowSP256 } from '../../shared/domain/ecdsa-signature.js';
import {
  MFA_ACR,
  MFA_TOKEN_ALG,
  MFA_TOKEN_TYPE,
  type MfaTokenClaims,
} from '../../shared/domain/mfa-token.js';

export const ISSUER = 'https://mfa.test.example';
export const AUDIENCE = 'app-1';
export const KID = 'key-1';
/** The tests' "now": 2026-01-01T00:00:00Z. */
export const NOW_SECONDS = 1_767_225_600;

export interface TestIssuer {
  readonly jwks: Jwks;
  readonly publicJwk: JWK;
  readonly privateKey: CryptoKey;
  /** A token signed by this issuer; `claims` and `header` override the defaults. */
  sign(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

export const defaultClaims = (): Record<string, unknown> => ({
  iss: ISSUER,
  sub: 'user-1',
  aud: AUDIENCE,
  iat: NOW_SECONDS,
  exp: NOW_SECONDS + 900,
  jti: 'jti-1',
  auth_time: NOW_SECONDS,
  amr: ['sms', 'otp', 'mfa'],
  acr: MFA_ACR,
  txn: 'txn-1',
});

/** Typed claims of one token issued at NOW_SECONDS (the signer tests). */
export const sampleClaims = (): MfaTokenClaims => ({
  iss: ISSUER,
  sub: 'user-1',
  aud: AUDIENCE,
  iat: NOW_SECONDS,
  exp: NOW_SECONDS + 900,
  jti: 'jti-1',
  auth_time: NOW_SECONDS,
  amr: ['otp', 'mfa'],
  acr: MFA_ACR,
  txn: 'txn-1',
});

/**
 * The token with its ES256 signature in low-S form: jose (WebCrypto) signs either form at
 * random, the service's signers and verifier use the low one only (ecdsa-signature.ts).
 */
export const lowSToken = (token: string): string => {
  const dot = token.lastIndexOf('.');
  const signature = toLowSP256(Buffer.from(token.slice(dot + 1), 'base64url'));
  return `${token.slice(0, dot)}.${Buffer.from(signature).toString('base64url')}`;
};

/** A fresh ES256 key pair, its JWKS (kid `key-1` unless given) and a signer. */
export const createTestIssuer = async (kid = KID): Promise<TestIssuer> => {
  const { publicKey, privateKey } = await generateKeyPair(MFA_TOKEN_ALG, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: MFA_TOKEN_ALG, use: 'sig' };
  return {
    jwks: { keys: [publicJwk] },
    publicJwk,
    privateKey,
    sign: async (claims = {}, header = {}) => {
      const payload = { ...defaultClaims(), ...claims };
      for (const [name, value] of Object.entries(payload)) {
        if (value === undefined) delete payload[name];
      }
      const token = await new SignJWT(payload)
        .setProtectedHeader({ alg: MFA_TOKEN_ALG, typ: MFA_TOKEN_TYPE, kid, ...header })
        .sign(privateKey);
      return lowSToken(token);
    },
  };
};

export const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * Signs any header and payload with node:crypto, bypassing jose's own checks (for `crit`,
 * DER signatures and other shapes jose refuses to produce).
 */
export const signRaw = (
  privateKey: CryptoKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  dsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363',
): string => {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const key = KeyObject.from(privateKey);
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding });
  const token = `${input}.${signature.toString('base64url')}`;
  return dsaEncoding === 'ieee-p1363' ? lowSToken(token) : token;
};
