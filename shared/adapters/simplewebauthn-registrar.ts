import { type RegistrationResponseJSON, verifyRegistrationResponse } from '@simplewebauthn/server';
import { decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import {
  PASSKEY_ALGORITHMS,
  type PasskeyAlgorithm,
  type PasskeyJwk,
} from '../factors/webauthn/credential.js';
import type { PasskeyRegistrar } from '../ports/passkeys.js';

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A COSE_Key (RFC 9053) of ES256 / RS256 as a JWK, or undefined for anything else. */
export const coseToJwk = (
  cose: Uint8Array,
): { alg: PasskeyAlgorithm; jwk: PasskeyJwk } | undefined => {
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
 * challenge, origin), RP id hash, user presence and (when required) verification, the
 * attestation statement of its format (`none`, or `packed` and the others when an
 * authenticator sends one), and an algorithm of ES256 / RS256.
 */
export const simpleWebAuthnRegistrar = (): PasskeyRegistrar => ({
  verifyRegistration: async (response, expected) => {
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
    };
  },
});
