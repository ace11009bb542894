import { userRef } from '../../domain/state-token.js';
import { MfaError } from '../../errors.js';
import type { EnrollBody, Enrollment } from '../enrollment.js';
import { pinProof } from './kind.js';
import { hashPinProof } from './pin-hash.js';
import { weakPinReason } from './weak-pin.js';

/** The one slot a user's PIN takes in the destination index (`byDestination`). */
const PIN_SLOT = 'pin';

/**
 * PIN: refused with 400 `weak_pin` when too short, too long or easy to guess; else stored as
 * the slow hash of its proof and ACTIVE at once (nothing to activate: the user chose it).
 */
export const pinEnrollment: Enrollment<Extract<EnrollBody, { type: 'pin' }>> = {
  draft: async (deps, args) => {
    const pin = args.body.pin;
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
        // One PIN per user: the destination index makes a second one 409 factor_exists.
        destinationHash: PIN_SLOT,
        failures: 0,
      },
    };
  },
};
