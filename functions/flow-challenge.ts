import { rateLimiter, userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { otpKeys } from '../shared/compose/otp-key.js';
import { secretBox } from '../shared/compose/secret-box.js';
import type { ChallengeInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { issueChallenge } from '../shared/use-cases/authn-challenge.js';

/** `MfaFlow` task for `challenge`: its `delivery` is sent by the workflow itself (SNS/SES). */
export const handler = taskHandler<ChallengeInput, unknown>(
  { uses: [userStore, rateLimiter, otpKeys, secretBox, events] },
  issueChallenge,
  (outcome) => ({
    outcome,
  }),
);
