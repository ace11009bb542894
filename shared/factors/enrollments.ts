import type { Draft, EnrollBody, EnrollDeps, Enrollments } from './enrollment.js';
import { emailEnrollment, smsEnrollment } from './out-of-band/enroll.js';
import { pinEnrollment } from './pin/enroll.js';
import { recoveryCodeEnrollment } from './recovery-code/enroll.js';
import { totpEnrollment } from './totp/enroll.js';
import { webauthnEnrollment } from './webauthn/enroll.js';

/** How each kind enrolls (only the enroll function loads this: phone metadata, QR codes). */
const ENROLLMENTS: Enrollments = {
  sms: smsEnrollment,
  email: emailEnrollment,
  totp: totpEnrollment,
  pin: pinEnrollment,
  recovery_code: recoveryCodeEnrollment,
  webauthn: webauthnEnrollment,
};

/** The draft factor for an enroll body, by its kind's enrollment. */
export const draftFactor = (
  deps: EnrollDeps,
  args: Omit<Parameters<Enrollments['sms']['draft']>[1], 'body'> & { body: EnrollBody },
): Promise<Draft> => {
  const enrollment = ENROLLMENTS[args.body.type] as Enrollments[EnrollBody['type']];
  return (enrollment.draft as (deps: EnrollDeps, a: typeof args) => Promise<Draft>)(deps, args);
};
