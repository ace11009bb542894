import { consentCheck } from '../shared/compose/consent-check.js';
import { userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import type { StartInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { startTransaction } from '../shared/use-cases/authn-start.js';

/** `MfaFlow` task for `start`. */
export const handler = taskHandler<StartInput, unknown>(
  { uses: [userStore, events, consentCheck] },
  startTransaction,
  (refusal) => refusal,
);
