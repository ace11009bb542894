import { rateLimiter, userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import type { UndoChallenge } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { undoFailedDelivery } from '../shared/use-cases/authn-challenge.js';

/** `MfaFlow` Catch for a delivery that failed after its retries: the send does not count. */
export const handler = taskHandler<UndoChallenge, unknown>(
  { uses: [userStore, rateLimiter, events] },
  undoFailedDelivery,
  (refusal) => refusal,
);
