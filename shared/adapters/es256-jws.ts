import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { CryptoError } from '../domain/crypto-error.js';
import { toLowSP256 } from '../domain/ecdsa-signature.js';
import { MFA_TOKEN_ALG, MFA_TOKEN_TYPE, type MfaTokenClaims } from '../domain/mfa-token.js';
import type { ReceiptClaims } from '../domain/receipt.js';
import type { JwsType, PublicJwk } from '../ports/signer.js';

/**
 * The JWS pieces every token signer shares (KMS, envelope and the local key file), so they
 * cannot drift in header, encoding or signature form: whoever holds the private key only signs
 * the bytes.
 */

const b64url = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

/** RFC 7515 signing input: base64url(header) "." base64url(claims), header alg/typ/kid. */
export const encodeSigningInput = (
  kid: string,
  claims: MfaTokenClaims | ReceiptClaims,
  typ: JwsType = MFA_TOKEN_TYPE,
): string => {
  const header = { alg: MFA_TOKEN_ALG, typ, kid };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
};

/**
 * The compact JWS from its signing input and the raw 64-byte `r || s` ES256 signature, in
 * low-S form whatever form the signer produced: every signer ends here, and the verifier
 * refuses the high-S twin (`toLowSP256`).
 */
export const compactJws = (signingInput: string, signature: Uint8Array): string => {
  if (signature.length !== 64) {
    throw new CryptoError('malformed_signature', 'ES256 signature must be 64 bytes');
  }
  return `${signingInput}.${b64url(toLowSP256(signature))}`;
};

/**
 * The published JWK of an EC P-256 key (public or private `KeyObject`): only the public
 * members, `kid` = RFC 7638 thumbprint (SHA-256), so a key's id follows from the key itself
 * and is the same wherever it is computed. Any other key type throws `key_refused`.
 */
export const publicJwkOf = async (key: KeyObject): Promise<PublicJwk> => {
  // export() of a private key would carry `d`: take only the members we name.
  const { kty, crv, x, y } = key.export({ format: 'jwk' });
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') {
    throw new CryptoError('key_refused', 'Not an EC P-256 key');
  }
  const kid = await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
  return Object.freeze({ kty, crv, x, y, kid, alg: MFA_TOKEN_ALG, use: 'sig' });
};

/**
 * A published key with the time it retired (`retired_at`, NumericDate): verifiers refuse
 * tokens it signed after that, so a leaked retired key makes no fresh token.
 */
export const withRetirement = (jwk: PublicJwk, retiredAt: string | undefined): PublicJwk =>
  retiredAt === undefined ? jwk : { ...jwk, retired_at: Math.floor(Date.parse(retiredAt) / 1000) };
