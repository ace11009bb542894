import { normaliseEmail, normalisePhone } from '../../domain/destination.js';
import type { FactorType } from '../../domain/entities.js';
import { destinationHash } from '../../domain/otp.js';
import type { DraftArgs, EnrollBody, EnrollDeps, Enrollment } from '../enrollment.js';

/** A pending factor for a validated destination; its activation code is sent by the caller. */
const destinationFactor = async (
  deps: EnrollDeps,
  args: DraftArgs<EnrollBody>,
  type: FactorType,
  destination: string,
) => ({
  factor: {
    factorId: args.factorId,
    type,
    status: 'PENDING_ACTIVATION' as const,
    createdAt: args.createdAt,
    destination,
    destinationHash: destinationHash(await deps.otpKeys.otpMacKey(), `${type}:${destination}`),
    failures: 0,
  },
});

/** SMS: E.164 numbers that can take an SMS, in an allowed country (400s otherwise). */
export const smsEnrollment: Enrollment<Extract<EnrollBody, { type: 'sms' }>> = {
  draft: (deps, args) =>
    destinationFactor(
      deps,
      args,
      'sms',
      normalisePhone(args.body.phoneNumber, deps.config.SMS_ALLOWED_COUNTRIES),
    ),
};

/** Email: a plain valid address, lower-cased (400 `invalid_email` otherwise). */
export const emailEnrollment: Enrollment<Extract<EnrollBody, { type: 'email' }>> = {
  draft: (deps, args) => destinationFactor(deps, args, 'email', normaliseEmail(args.body.email)),
};
