import type { VerifyInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { verifyCode } from '../shared/use-cases/authn-verify.js';

/** `MfaFlow` task for `verify`. */
export const handler = taskHandler<VerifyInput, unknown>(verifyCode, (refusal) => refusal);
