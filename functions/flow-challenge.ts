import type { ChallengeInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';
import { issueChallenge } from '../shared/use-cases/authn-challenge.js';

/** `MfaFlow` task for `challenge`: its `delivery` is sent by the workflow itself (SNS/SES). */
export const handler = taskHandler<ChallengeInput, unknown>(issueChallenge, (outcome) => ({
  outcome,
}));
