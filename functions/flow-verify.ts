import { userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { otpKeys } from '../shared/compose/otp-key.js';
import { secretBox } from '../shared/compose/secret-box.js';
import type { VerifyInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { verifyCode } from '../shared/use-cases/authn-verify.js';

/** `MfaFlow` task for `verify`. */
export const handler = taskHandler<VerifyInput, unknown>(
  { uses: [userStore, otpKeys, secretBox, events] },
  verifyCode,
  (refusal) => refusal,
);
