import type { StartInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { startTransaction } from '../shared/use-cases/authn-start.js';

/** `MfaFlow` task for `start`. */
export const handler = taskHandler<StartInput, unknown>(startTransaction, (refusal) => refusal);
