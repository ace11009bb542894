import { userRef } from '../../domain/state-token.js';
import type { EnrollBody, Enrollment } from '../enrollment.js';
import { newRecoveryCode, RECOVERY_CODE_COUNT } from './codes.js';
import { recoveryCodeMac } from './kind.js';

/** The one slot a user's recovery codes take in the destination index (`byDestination`). */
const RECOVERY_SLOT = 'recovery_code';

/**
 * Recovery codes: ten new codes, shown once in the enroll answer (`activation.codes`) and
 * stored only as MACs; ACTIVE at once. One set per user: enrolling again while a set exists
 * is 409 `factor_exists` (delete it first: regenerating replaces all).
 */
export const recoveryCodeEnrollment: Enrollment<Extract<EnrollBody, { type: 'recovery_code' }>> = {
  draft: async (deps, args) => {
    const key = await deps.otpKeys.otpMacKey();
    const target = {
      clientId: args.clientId,
      userRef: userRef(args.userId),
      factorId: args.factorId,
    };
    // Ten distinct codes (a repeat of 60 random bits would mean a broken random source).
    const codes = [
      ...new Set(Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode(deps.random))),
    ];
    if (codes.length !== RECOVERY_CODE_COUNT) throw new Error('The random source repeats itself');
    const recoveryCodes: Record<string, number> = {};
    for (const code of codes) recoveryCodes[recoveryCodeMac(key, target, code) as string] = 1;
    return {
      factor: {
        factorId: args.factorId,
        type: 'recovery_code',
        status: 'ACTIVE',
        createdAt: args.createdAt,
        recoveryCodes,
        destinationHash: RECOVERY_SLOT,
        failures: 0,
      },
      shown: { codes },
    };
  },
};
