import type { CancelInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { cancelTransaction } from '../shared/use-cases/authn-cancel-status.js';

/** `MfaFlow` task for `cancel`. */
export const handler = taskHandler<CancelInput, unknown>(cancelTransaction, (refusal) => refusal);
