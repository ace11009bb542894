import type { EnrollBody, Enrollment } from '../enrollment.js';
import { PASSKEY_ALGORITHMS } from './credential.js';

/**
 * Passkeys: the enroll answer carries `activation.publicKey`, the
 * PublicKeyCredentialCreationOptions (JSON form, for `parseCreationOptionsFromJSON`): a fresh
 * 32-byte challenge, stored as the activation's `codeMac` so that one registration activates
 * it once; ES256 or RS256; a resident key preferred; user verification as configured;
 * attestation `none` (no authenticator model is recorded). The user handle is 16 random
 * bytes, never the user id. The factor is ACTIVE once `activate` verifies the registration.
 */
export const webauthnEnrollment: Enrollment<Extract<EnrollBody, { type: 'webauthn' }>> = {
  draft: async (deps, args) => {
    const { config } = deps;
    const challenge = deps.random.bytes(32).toString('base64url');
    const ttl = config.WEBAUTHN_TIMEOUT_SECONDS;
    const name = args.body.displayName ?? args.userId;
    return {
      factor: {
        factorId: args.factorId,
        type: 'webauthn',
        status: 'PENDING_ACTIVATION',
        createdAt: args.createdAt,
        ...(args.body.displayName ? { displayName: args.body.displayName } : {}),
        activation: { codeMac: challenge, expiresAt: args.nowSeconds + ttl, attempts: 0 },
        failures: 0,
      },
      shown: {
        publicKey: {
          challenge,
          rp: { id: config.WEBAUTHN_RP_ID, name: config.WEBAUTHN_RP_NAME },
          user: {
            id: deps.random.bytes(16).toString('base64url'),
            name: args.userId,
            displayName: name,
          },
          pubKeyCredParams: PASSKEY_ALGORITHMS.map((alg) => ({ type: 'public-key', alg })),
          timeout: ttl * 1000,
          attestation: 'none',
          authenticatorSelection: {
            residentKey: 'preferred',
            requireResidentKey: false,
            userVerification: config.WEBAUTHN_USER_VERIFICATION,
          },
          excludeCredentials: [],
          // `payment`: the credential may also sign Secure Payment Confirmation approvals.
          extensions: { credProps: true, payment: { isPayment: true } },
        },
      },
    };
  },
};
