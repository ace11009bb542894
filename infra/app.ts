import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { LogLevel } from './mfa-service.js';
import { MfaServiceStack } from './mfa-service-stack.js';
import type { SigningMode } from './permissions.js';

/**
 * The CDK app entry: the only place in infra/ that reads the environment or context.
 * Options: `cdk deploy -c signing=envelope -c emailSender=no-reply@example.com
 * -c smsAllowedCountries=GB,IE -c alarmEmail=ops@example.com -c logLevel=debug
 * -c webAclArn=arn:… | -c createWebAcl=true -c issuer=https://mfa.example.com
 * -c factorChangeMaxAge=300 -c signingKeyVersion=2 -c smsPerAppPerHour=1000
 * -c emailActivationsPerAppPerHour=1000`; LocalStack:
 * `-c localstack=true` (the API's id there is `mfa`, the issuer its LocalStack URL).
 */
const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === '' ? undefined : String(value);
};
const numberContext = (name: string): number | undefined => {
  const value = context(name);
  return value === undefined ? undefined : Number(value);
};
const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const factorChangeSeconds = numberContext('factorChangeMaxAge');

new MfaServiceStack(app, 'MfaServiceStack', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Step-up MFA service (API Gateway, Lambda, Step Functions Express, DynamoDB, KMS)',
  logLevel: context('logLevel') as LogLevel | undefined,
  signing: context('signing') as SigningMode | undefined,
  issuer: context('issuer'),
  // `npm run deploy:local`: LocalStack's API id is fixed, so the issuer URL is known at synth.
  ...(context('localstack') === 'true' ? { localstackApiId: 'mfa' } : {}),
  emailSender: context('emailSender'),
  emailIdentity: context('emailIdentity'),
  smsAllowedCountries: list(context('smsAllowedCountries'))?.map((code) => code.toUpperCase()),
  smsSenderId: context('smsSenderId'),
  alarmEmails: list(context('alarmEmail')),
  webAclArn: context('webAclArn'),
  createWebAcl: context('createWebAcl') === 'true',
  signingKeyVersion: numberContext('signingKeyVersion'),
  smsPerAppPerHour: numberContext('smsPerAppPerHour'),
  emailActivationsPerAppPerHour: numberContext('emailActivationsPerAppPerHour'),
  factorChangeMaxAge:
    factorChangeSeconds === undefined ? undefined : Duration.seconds(factorChangeSeconds),
  ...(context('webauthnRpId')
    ? {
        webauthn: {
          rpId: context('webauthnRpId') as string,
          origins: list(context('webauthnOrigins')) ?? [],
          ...(context('webauthnRpName') ? { rpName: context('webauthnRpName') } : {}),
        },
      }
    : {}),
});

// Every synth (cdk synth/deploy, the local runtime's re-synth) fails on an unacknowledged
// AwsSolutions finding; each acknowledgement sits next to the resource it is about.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
