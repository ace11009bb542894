import { otpMac } from '../../domain/otp.js';
import type { FactorKind, VerifyTarget } from '../kind.js';
import { pinProofMatches } from './pin-hash.js';
import { malformedPin, normalizePin } from './weak-pin.js';

/**
 * The proof of a PIN: its HMAC under the server-side key, bound to the app, the user and the
 * factor (not to a transaction: it is compared with the stored slow hash). It is what enters
 * the workflow; the PIN itself never does.
 */
export const pinProof = (
  key: Uint8Array,
  target: Pick<VerifyTarget, 'clientId' | 'userRef' | 'factorId'>,
  pin: string,
): string =>
  otpMac(key, 'pin', `${target.clientId}:${target.userRef}:${target.factorId}`, normalizePin(pin));

/**
 * PIN: the knowledge factor, so the service can reach SCA on its own (PIN and an SMS or TOTP
 * code) without relying on the app's word about its own sign-in. Active from its enrollment
 * (the app collects it from the user and passes it once); checked against its slow hash; no
 * challenge; locks after `PIN_LOCK_THRESHOLD` (5) wrong PINs in a row. Changing a PIN is
 * delete and enroll.
 */
export const pinKind: FactorKind = {
  type: 'pin',
  categories: ['knowledge'],
  amr: ['pin', 'mfa'],
  profile: () => ({}),
  lockThreshold: (config) => config.PIN_LOCK_THRESHOLD,
  submittedMac: (key, target, passCode) =>
    malformedPin(normalizePin(passCode)) ? undefined : pinProof(key, target, passCode),
  // A PIN factor has no activation: it is active from its enrollment.
  activationProof: async () => undefined,
  challengeProof: async (_deps, { factor, submittedMac }) =>
    factor.pinHash && submittedMac && (await pinProofMatches(submittedMac, factor.pinHash))
      ? { reusable: true }
      : undefined,
};
