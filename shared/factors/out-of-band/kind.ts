import { maskEmail, maskPhone } from '../../domain/destination.js';
import { macEquals } from '../../domain/otp.js';
import type { FactorKind } from '../kind.js';

/**
 * Out-of-band codes: the service makes a code and sends it to a phone (SMS) or a mailbox;
 * the user types it back. The code is stored only as its HMAC (activation: in the factor;
 * challenge: in the transaction), so a right code is one whose MAC equals the stored one, and
 * the completing write holds only while that MAC is still the stored one (good once).
 *
 * Categories: SMS proves possession of the phone. Email proves none by default (NIST SP
 * 800-63B 5.1.3.1 does not accept email as an out-of-band authenticator); an app's policy
 * may count it as possession (`emailIsPossession`).
 */
const outOfBand = (
  channel: 'sms' | 'email',
  shape: Pick<FactorKind, 'categories' | 'amr' | 'profile'>,
): FactorKind => ({
  type: channel,
  delivery: channel,
  ...shape,
  activationProof: async (_deps, { factor, submittedMac }) => {
    const stored = factor.activation?.codeMac;
    return stored && submittedMac && macEquals(stored, submittedMac)
      ? { codeMac: submittedMac }
      : undefined;
  },
  challengeProof: async (_deps, { txn, submittedMac }) =>
    txn.codeMac && submittedMac && macEquals(txn.codeMac, submittedMac)
      ? { codeMac: submittedMac }
      : undefined,
});

export const smsKind = outOfBand('sms', {
  categories: ['possession'],
  amr: ['sms', 'otp', 'mfa'],
  profile: (factor): Record<string, string> =>
    factor.destination ? { phoneNumber: maskPhone(factor.destination) } : {},
});

export const emailKind = outOfBand('email', {
  categories: [],
  amr: ['otp', 'mfa'],
  profile: (factor): Record<string, string> =>
    factor.destination ? { email: maskEmail(factor.destination) } : {},
});
