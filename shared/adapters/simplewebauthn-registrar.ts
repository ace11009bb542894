import { createPublicKey } from 'node:crypto';
import { type RegistrationResponseJSON, verifyRegistrationResponse } from '@simplewebauthn/server';
import { decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import {
  PASSKEY_ALGORITHMS,
  type PasskeyAlgorithm,
  type PasskeyJwk,
} from '../factors/webauthn/credential.js';
import type { PasskeyRegistrar } from '../ports/passkeys.js';

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** RSA moduli a passkey may have: 2048 to 4096 bits (RFC 8812 asks ≥ 2048). */
const RSA_MODULUS_BYTES = { min: 256, max: 512 } as const;
const F4 = 'AQAB'; // e = 65537, base64url

/**
 * The JWK if it is a key worth trusting: an EC point on P-256 with 32-byte coordinates, or
 * an RSA key of 2048–4096 bits with e = 65537 (e = 1 or a short modulus would let anyone
 * forge its signatures). Node parses it, so a point off the curve is refused too.
 */
const sound = (jwk: PasskeyJwk): boolean => {
  if (jwk.kty === 'EC') {
    if (Buffer.from(jwk.x, 'base64url').length !== 32) return false;
    if (Buffer.from(jwk.y, 'base64url').length !== 32) return false;
  } else {
    const modulus = Buffer.from(jwk.n, 'base64url');
    if (modulus.length < RSA_MODULUS_BYTES.min || modulus.length > RSA_MODULUS_BYTES.max) {
      return false;
    }
    if (((modulus[0] as number) & 0x80) === 0 || jwk.e !== F4) return false;
  }
  try {
    createPublicKey({ key: { ...jwk }, format: 'jwk' });
    return true;
  } catch {
    return false;
  }
};

/** A COSE_Key (RFC 9053) of ES256 / RS256 as a sound JWK, or undefined for anything else. */
export const coseToJwk = (
  cose: Uint8Array,
): { alg: PasskeyAlgorithm; jwk: PasskeyJwk } | undefined => {
  const key = decodedKey(cose);
  return key && sound(key.jwk) ? key : undefined;
};

const decodedKey = (cose: Uint8Array): { alg: PasskeyAlgorithm; jwk: PasskeyJwk } | undefined => {
  const key = decodeCredentialPublicKey(
    cose as Parameters<typeof decodeCredentialPublicKey>[0],
  ) as unknown as Map<number, unknown>;
  const alg = key.get(3);
  const kty = key.get(1);
  const bytes = (label: number) => {
    const value = key.get(label);
    return value instanceof Uint8Array ? b64u(value) : undefined;
  };
  if (alg === -7 && kty === 2 && key.get(-1) === 1) {
    const x = bytes(-2);
    const y = bytes(-3);
    return x && y ? { alg, jwk: { kty: 'EC', crv: 'P-256', x, y } } : undefined;
  }
  if (alg === -257 && kty === 3) {
    const n = bytes(-1);
    const e = bytes(-2);
    return n && e ? { alg, jwk: { kty: 'RSA', n, e } } : undefined;
  }
  return undefined;
};

/**
 * Registrations verified by @simplewebauthn/server: client data (type `webauthn.create`,
 * challenge, origin; not from inside another site's frame), RP id hash, user presence and
 * (when required) verification, the attestation statement of `none` or `packed` (no other
 * format), and a sound ES256 / RS256 key.
 */
/** Attestation formats taken: `none` (what we ask for) and `packed` (self or full). */
const FORMATS = new Set(['none', 'packed']);

/**
 * Whether the registration's client data claims to come from inside another site's frame
 * (`crossOrigin` anything but false/absent, or a `topOrigin`): refused, as for approvals.
 */
const framed = (response: unknown): boolean => {
  try {
    const encoded = (response as { response?: { clientDataJSON?: unknown } }).response
      ?.clientDataJSON;
    if (typeof encoded !== 'string') return true;
    const data = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return (data.crossOrigin !== undefined && data.crossOrigin !== false) || 'topOrigin' in data;
  } catch {
    return true;
  }
};

export const simpleWebAuthnRegistrar = (): PasskeyRegistrar => ({
  verifyRegistration: async (response, expected) => {
    if (framed(response)) return undefined;
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: expected.challenge,
        expectedOrigin: [...expected.origins],
        expectedRPID: expected.rpId,
        expectedType: 'webauthn.create',
        requireUserPresence: true,
        requireUserVerification: expected.userVerificationRequired,
        supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
      });
    } catch {
      return undefined;
    }
    if (!verified.verified) return undefined;
    const info = verified.registrationInfo;
    if (!FORMATS.has(info.fmt)) return undefined;
    const key = coseToJwk(info.credential.publicKey);
    if (!key) return undefined;
    const transports = info.credential.transports;
    return {
      credential: {
        id: info.credential.id,
        alg: key.alg,
        jwk: key.jwk,
        backupEligible: info.credentialDeviceType === 'multiDevice',
        ...(transports?.length ? { transports: [...transports] } : {}),
      },
      counter: info.credential.counter,
      backupState: info.credentialBackedUp,
      userVerified: info.userVerified,
    };
  },
});
