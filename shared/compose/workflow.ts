import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { createSfnWorkflow } from '../adapters/aws/sfn-workflow.js';
import { oneClient, type Part, requiredSetting } from '../deps.js';

/**
 * The Step Functions client's settings. StartSyncExecution goes to the host `sync-<host>`
 * (the API's host prefix): right for AWS, but with an endpoint of its own (LocalStack gives
 * functions `AWS_ENDPOINT_URL`) that host does not exist, so the prefix is dropped then.
 */
export const sfnClientConfig = (
  env: Readonly<Record<string, string | undefined>>,
): SFNClientConfig =>
  env.AWS_ENDPOINT_URL_SFN || env.AWS_ENDPOINT_URL ? { disableHostPrefix: true } : {};

const client = oneClient(() => new SFNClient(sfnClientConfig(process.env)));

/** Runs `MfaFlow` (`workflow`: StartSyncExecution); the local runtime injects its own. */
export const workflow: Part = {
  name: 'workflow',
  provides: {
    workflow: ({ config }) =>
      createSfnWorkflow(client(), requiredSetting('STATE_MACHINE_ARN', config.STATE_MACHINE_ARN)),
  },
};
