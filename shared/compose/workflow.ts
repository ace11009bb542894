import { SFNClient } from '@aws-sdk/client-sfn';
import { createSfnWorkflow } from '../adapters/aws/sfn-workflow.js';
import { oneClient, type Part, requiredSetting } from '../deps.js';

const client = oneClient(() => new SFNClient({}));

/** Runs `MfaFlow` (`workflow`: StartSyncExecution); the local runtime injects its own. */
export const workflow: Part = {
  name: 'workflow',
  provides: {
    workflow: ({ config }) =>
      createSfnWorkflow(client(), requiredSetting('STATE_MACHINE_ARN', config.STATE_MACHINE_ARN)),
  },
};
