import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JsonPath,
  LogLevel,
  Pass,
  QueryLanguage,
  StateMachine,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { smsAttributes } from '../shared/adapters/aws/sns-ses-messenger.js';
import { denyTopicPublish, SMS_WILDCARD_REASON } from './permissions.js';

export interface MfaFlowTasks {
  readonly start: IFunction;
  readonly challenge: IFunction;
  readonly undoChallenge: IFunction;
  readonly verify: IFunction;
  readonly cancel: IFunction;
  readonly status: IFunction;
}

export interface MfaFlowProps {
  /** The Lambda task of each operation. */
  readonly tasks: MfaFlowTasks;
  /** SES identity (email address) codes are sent from. */
  readonly emailSender: string;
  /** ARN of that SES identity, the only one the workflow may send from. */
  readonly emailIdentityArn: string;
  /** Alphanumeric SMS sender id. @default none */
  readonly smsSenderId?: string;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /**
   * What Express executions log (never their data). `ERROR`: failed executions only;
   * `ALL`: every state transition, a debugging aid that costs about $4–8 per 1M flows in
   * CloudWatch Logs ingestion (~20 log events of ~0.5 KB per flow).
   * @default LogLevel.ERROR
   */
  readonly logLevel?: LogLevel;
}

/**
 * Refusals of a send that another try cannot change (a bad or unauthorized number, a rejected
 * message, an unverified or paused sender): never retried. Every other failure is, as before:
 * throttling, the provider's internal errors and network failures, whatever Step Functions
 * names them (an AWS SDK integration's modelled errors are `<prefix>.<code>` with `Exception`
 * appended; unmodelled ones come as `Sns.SnsException`, `Sns.SdkClientException`, …): a retry
 * after an ambiguous failure may deliver the same code twice, which is better than no code.
 */
export const SMS_REFUSALS = [
  'Sns.AuthorizationErrorException',
  'Sns.InvalidParameterException',
  'Sns.InvalidParameterValueException',
  'Sns.InvalidSecurityException',
  'Sns.ValidationException',
] as const;
/** SES (v1, `SendEmail`): the message or the sender refused. */
export const EMAIL_REFUSALS = [
  'Ses.MessageRejectedException',
  'Ses.MailFromDomainNotVerifiedException',
  'Ses.ConfigurationSetDoesNotExistException',
  'Ses.ConfigurationSetSendingPausedException',
  'Ses.AccountSendingPausedException',
] as const;

/**
 * The one workflow, `MfaFlow`: an Express state machine with a branch per operation. This is
 * the only definition: the local runtime executes the ASL synthesized from it. Inputs carry
 * hashes, never raw state tokens or codes; a challenge's message (which holds the code) is
 * delivered by the direct SNS/SES integrations and dropped before the output, and execution
 * data is never logged.
 */
export class MfaFlow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: MfaFlowProps) {
    super(scope, id);
    const { tasks } = props;
    const invoke = (name: string, fn: IFunction, payload?: TaskInput) => {
      const task = new LambdaInvoke(this, name, {
        lambdaFunction: fn,
        payload,
        outputPath: '$.Payload',
        // The API waits for this execution: retry briefly, never for minutes.
        retryOnServiceExceptions: false,
      });
      task.addRetry({
        errors: [
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ],
        interval: Duration.seconds(1),
        maxAttempts: 2,
        backoffRate: 2,
      });
      return task;
    };
    // The first retrier that matches applies: a refusal is never retried (it would fail
    // again), anything else twice. Whatever still fails goes to the Catch below.
    const deliveryRetries = (refusals: readonly string[]) => [
      { errors: [...refusals], maxAttempts: 0 },
      { errors: ['States.ALL'], interval: Duration.seconds(1), maxAttempts: 2, backoffRate: 2 },
    ];

    const respond = new Pass(this, 'Respond', { outputPath: '$.outcome' });
    const undo = invoke('UndoChallenge', tasks.undoChallenge, TaskInput.fromJsonPathAt('$.undo'));
    const sendSms = new CallAwsService(this, 'SendSms', {
      service: 'sns',
      action: 'publish',
      parameters: {
        PhoneNumber: JsonPath.stringAt('$.delivery.to'),
        Message: JsonPath.stringAt('$.delivery.text'),
        MessageAttributes: smsAttributes(props.smsSenderId),
      },
      // Publishing to a phone number has no resource ARN; topics are denied below.
      iamResources: ['*'],
      additionalIamStatements: [denyTopicPublish()],
      resultPath: JsonPath.DISCARD,
    });
    const sendEmail = new CallAwsService(this, 'SendEmail', {
      service: 'ses',
      action: 'sendEmail',
      parameters: {
        Source: props.emailSender,
        Destination: { ToAddresses: JsonPath.array(JsonPath.stringAt('$.delivery.to')) },
        Message: {
          Subject: { Data: JsonPath.stringAt('$.delivery.subject'), Charset: 'UTF-8' },
          Body: { Text: { Data: JsonPath.stringAt('$.delivery.text'), Charset: 'UTF-8' } },
        },
      },
      iamResources: [props.emailIdentityArn],
      // The workflow sends as the configured sender only, whatever a future definition says.
      additionalIamStatements: [
        new PolicyStatement({
          effect: Effect.DENY,
          actions: ['ses:SendEmail'],
          resources: ['*'],
          conditions: { StringNotEquals: { 'ses:FromAddress': props.emailSender } },
        }),
      ],
      resultPath: JsonPath.DISCARD,
    });
    for (const [send, refusals] of [
      [sendSms, SMS_REFUSALS],
      [sendEmail, EMAIL_REFUSALS],
    ] as const) {
      for (const retry of deliveryRetries(refusals)) send.addRetry(retry);
      send.addCatch(undo, { errors: ['States.ALL'], resultPath: JsonPath.DISCARD });
      send.next(respond);
    }
    const challenge = invoke('IssueChallenge', tasks.challenge).next(
      new Choice(this, 'Deliver')
        // A missing path fails a Choice rule, so presence is checked first.
        .when(
          Condition.and(
            Condition.isPresent('$.delivery'),
            Condition.stringEquals('$.delivery.channel', 'sms'),
          ),
          sendSms,
        )
        .when(
          Condition.and(
            Condition.isPresent('$.delivery'),
            Condition.stringEquals('$.delivery.channel', 'email'),
          ),
          sendEmail,
        )
        .otherwise(respond),
    );

    const definition = new Choice(this, 'Operation')
      .when(Condition.stringEquals('$.operation', 'start'), invoke('StartTransaction', tasks.start))
      .when(Condition.stringEquals('$.operation', 'challenge'), challenge)
      .when(Condition.stringEquals('$.operation', 'verify'), invoke('VerifyCode', tasks.verify))
      .when(
        Condition.stringEquals('$.operation', 'cancel'),
        invoke('CancelTransaction', tasks.cancel),
      )
      .when(
        Condition.stringEquals('$.operation', 'status'),
        invoke('TransactionStatus', tasks.status),
      )
      .otherwise(
        new Fail(this, 'UnknownOperation', {
          error: 'UnknownOperation',
          cause: 'The workflow has no branch for this operation',
        }),
      );

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.EXPRESS,
      queryLanguage: QueryLanguage.JSON_PATH,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.seconds(25),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'Logs', {
          retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        // Failed executions by default (Express executions have no execution history; the
        // audit trail is the events); never their data: inputs, outputs and messages stay out.
        level: props.logLevel ?? LogLevel.ERROR,
        includeExecutionData: false,
      },
    });

    if ((props.logLevel ?? LogLevel.ERROR) !== LogLevel.ALL) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'Express executions log failures (ERROR) by default: each operation is recorded by its audit event, and every transition of every execution would cost ~$4-8 per 1M flows in log ingestion. workflowLogLevel ALL turns it on to debug.',
      });
    }
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `X-Ray (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and CloudWatch Logs delivery (logs:CreateLogDelivery and related) support no resource-level permission. ${SMS_WILDCARD_REASON} The SES Deny on "*" only narrows the sender.`,
    });
    for (const fn of Object.values(tasks)) {
      // cdk-nag names the resource as it reads the ARN: `<Fn.Arn>` or, for an alias, `<Alias>`.
      const arn = stack.resolve(fn.functionArn) as { 'Fn::GetAtt'?: [string]; Ref?: string };
      const name = arn['Fn::GetAtt'] ? `${arn['Fn::GetAtt'][0]}.Arn` : arn.Ref;
      if (!name) continue;
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${name}>:*]`,
        reason:
          'LambdaInvoke grants the task function and its qualified versions/aliases (`<arn>:*`); the definition invokes exactly this function.',
      });
    }
  }
}
