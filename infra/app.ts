import { App } from 'aws-cdk-lib';
import { MfaServiceStack } from './mfa-service-stack.js';

/** The CDK app entry: the only place in infra/ that reads the environment or context. */
const app = new App();
new MfaServiceStack(app, 'MfaServiceStack', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  logLevel: app.node.tryGetContext('logLevel'),
});
app.synth();
