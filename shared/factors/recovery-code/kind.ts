import { otpMac } from '../../domain/otp.js';
import type { FactorKind, VerifyTarget } from '../kind.js';
import { normalizeRecoveryCode } from './codes.js';

/**
 * The stored and submitted form of a recovery code: its HMAC under the server-side key, bound
 * to the app, the user and the factor. A code has 60 bits: keyed, it needs no slow hash.
 */
export const recoveryCodeMac = (
  key: Uint8Array,
  target: Pick<VerifyTarget, 'clientId' | 'userRef' | 'factorId'>,
  code: string,
): string | undefined => {
  const normalized = normalizeRecoveryCode(code);
  return normalized === undefined
    ? undefined
    : otpMac(
        key,
        'recovery',
        `${target.clientId}:${target.userRef}:${target.factorId}`,
        normalized,
      );
};

/**
 * Recovery codes: ten one-time codes shown once at enrollment, stored as MACs, each good once
 * (the completing write removes it, on the condition that it is still there). They prove
 * possession (of the printed list), but never reach `sca` on their own: the app's word about
 * its own sign-in does not count next to them (`standsAlone: false`), another factor must.
 * Regenerating is delete and enroll (factor-change step-up applies).
 */
export const recoveryCodeKind: FactorKind = {
  type: 'recovery_code',
  categories: ['possession'],
  amr: ['otp', 'mfa'],
  standsAlone: false,
  profile: (factor) => ({ remaining: Object.keys(factor.recoveryCodes ?? {}).length }),
  submittedMac: (key, target, passCode) => recoveryCodeMac(key, target, passCode),
  // Active from its enrollment: nothing to activate.
  activationProof: async () => undefined,
  challengeProof: async (_deps, { factor, submittedMac }) =>
    submittedMac && Object.hasOwn(factor.recoveryCodes ?? {}, submittedMac)
      ? { spentCode: submittedMac }
      : undefined,
};
