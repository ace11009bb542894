import { userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import type { CancelInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { cancelTransaction } from '../shared/use-cases/authn-cancel-status.js';

/** `MfaFlow` task for `cancel`. */
export const handler = taskHandler<CancelInput, unknown>(
  { uses: [userStore, events] },
  cancelTransaction,
  (refusal) => refusal,
);
