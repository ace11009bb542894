import { userRef } from '../../domain/state-token.js';
import { MfaError } from '../../errors.js';
import type { EnrollBody, Enrollment } from '../enrollment.js';
import { pinProof } from './kind.js';
import { hashPinProof } from './pin-hash.js';
import { weakPinReason } from './weak-pin.js';

/**
 * PIN: refused with 400 `weak_pin` when too short, too long or easy to guess; else stored as
 * the slow hash of its proof and ACTIVE at once (nothing to activate: the user chose it).
 */
export const pinEnrollment: Enrollment<Extract<EnrollBody, { type: 'pin' }>> = {
  draft: async (deps, args) => {
    const pin = args.body.pin.normalize('NFC');
    const weak = weakPinReason(pin);
    if (weak) throw new MfaError('weak_pin', weak);
    const proof = pinProof(
      await deps.otpKeys.otpMacKey(),
      { clientId: args.clientId, userRef: userRef(args.userId), factorId: args.factorId },
      pin,
    );
    return {
      factor: {
        factorId: args.factorId,
        type: 'pin',
        status: 'ACTIVE',
        createdAt: args.createdAt,
        pinHash: await hashPinProof(proof),
        failures: 0,
      },
    };
  },
};
