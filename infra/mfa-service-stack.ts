import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { routes } from '../shared/routes.js';
import { tableDefinition } from '../shared/table.js';
import { MfaAuthorizer } from './mfa-authorizer.js';
import { MfaFlow } from './mfa-flow.js';
import { MfaFunction } from './mfa-function.js';

export interface MfaServiceStackProps extends StackProps {
  /** Life of a state token. @default 300 */
  readonly stateTokenTtlSeconds?: number;
  /** Life of an MFA token. @default 900 */
  readonly tokenTtlSeconds?: number;
  /** Function log level. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** API Gateway stage name. @default 'live' */
  readonly stageName?: string;
  /** Verified SES identity (email address) codes are sent from. @default 'no-reply@mfa.example.com' */
  readonly emailSender?: string;
  /** Comma-separated ISO countries SMS may go to. @default GB, IE, EU/EEA and US */
  readonly smsAllowedCountries?: string;
}

/** The step-up MFA service: table, keys, `MfaFlow`, one function per route and task, the REST API. */
export class MfaServiceStack extends Stack {
  readonly api: RestApi;
  readonly table: Table;
  readonly flow: MfaFlow;

  constructor(scope: Construct, id: string, props: MfaServiceStackProps = {}) {
    super(scope, id, props);
    const stageName = props.stageName ?? 'live';
    const emailSender = props.emailSender ?? 'no-reply@mfa.example.com';

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const secretBoxKey = new Key(this, 'SecretBoxKey', {
      description: 'Envelope encryption of TOTP secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const signingKey = new Key(this, 'SigningKey', {
      description: 'ES256 signing key of MFA tokens',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const otpKey = new Secret(this, 'OtpHmacKey', {
      description: 'HMAC key for one-time codes',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new RestApi(this, 'Api', {
      description: 'Step-up MFA service',
      deployOptions: { stageName },
    });
    // Built from the API id, not `api.url`: that would make each function depend on the stage.
    const issuer = `https://${this.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${stageName}`;
    const environment = {
      TABLE_NAME: this.table.tableName,
      LOG_LEVEL: props.logLevel ?? 'info',
      STATE_TOKEN_TTL_SECONDS: String(props.stateTokenTtlSeconds ?? 300),
      TOKEN_TTL_SECONDS: String(props.tokenTtlSeconds ?? 900),
      MFA_ISSUER: issuer,
      EMAIL_SENDER: emailSender,
      ...(props.smsAllowedCountries ? { SMS_ALLOWED_COUNTRIES: props.smsAllowedCountries } : {}),
      OTP_KEY_SECRET_ARN: otpKey.secretArn,
      SECRET_BOX_KEY_ID: secretBoxKey.keyArn,
      SIGNING_KEY_IDS: signingKey.keyArn,
    };
    const emailIdentityArn = `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/${emailSender}`;

    const task = (name: string, handler: string) => {
      const fn = new MfaFunction(this, name, { handler, environment });
      this.table.grantReadWriteData(fn);
      otpKey.grantRead(fn);
      return fn;
    };
    const tasks = {
      start: task('FlowStart', 'flow-start'),
      challenge: task('FlowChallenge', 'flow-challenge'),
      undoChallenge: task('FlowUndoChallenge', 'flow-undo-challenge'),
      verify: task('FlowVerify', 'flow-verify'),
      cancel: task('FlowCancel', 'flow-cancel'),
      status: task('FlowStatus', 'flow-status'),
    };
    secretBoxKey.grantDecrypt(tasks.verify);
    this.flow = new MfaFlow(this, 'MfaFlow', { tasks, emailSender, emailIdentityArn });
    // The demo routes accept a token issued to any app of this service.
    const mfaAuthorizer = new MfaAuthorizer(this, 'MfaAuthorizer', {
      issuer,
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      logLevel: props.logLevel,
    });
    mfaAuthorizer.addGatewayResponses(this.api);

    const functions = new Map<string, MfaFunction>();
    for (const route of routes) {
      let fn = functions.get(route.handler);
      if (!fn) {
        fn = new MfaFunction(this, `Route-${route.handler}`, {
          handler: route.handler,
          environment: {
            ...environment,
            STATE_MACHINE_ARN: this.flow.stateMachine.stateMachineArn,
          },
          timeout: Duration.seconds(29),
        });
        this.table.grantReadWriteData(fn);
        otpKey.grantRead(fn);
        secretBoxKey.grantEncryptDecrypt(fn);
        signingKey.grant(fn, 'kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey');
        this.flow.stateMachine.grantStartSyncExecution(fn);
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['ses:SendEmail'], resources: [emailIdentityArn] }),
        );
        fn.addToRolePolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
        fn.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.DENY,
            actions: ['sns:Publish'],
            resources: ['arn:aws:sns:*:*:*'],
          }),
        );
        functions.set(route.handler, fn);
      }
      const resource = this.api.root.resourceForPath(route.path);
      const integration = new LambdaIntegration(fn);
      if (route.auth === 'mfa') {
        mfaAuthorizer.addProtectedMethod(resource, route.method, integration, {
          maxAge: route.maxAge === undefined ? undefined : Duration.seconds(route.maxAge),
          acr: route.acr,
        });
      } else {
        resource.addMethod(route.method, integration);
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'JwksUrl', { value: `${issuer}/.well-known/jwks.json` });
  }
}
