import { userStore } from '../shared/compose/dynamo.js';
import type { StatusInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { transactionStatus } from '../shared/use-cases/authn-cancel-status.js';

/** `MfaFlow` task for `status`. */
export const handler = taskHandler<StatusInput, unknown>(
  { uses: [userStore] },
  transactionStatus,
  (refusal) => refusal,
);
