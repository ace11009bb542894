import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, type IFilterPattern, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { accountKeyPolicy } from './key-policy.js';
import type { MfaFunction } from './mfa-function.js';
import { accessOf } from './permissions.js';

/**
 * Log lines the alarms count, as the code writes them (`shared/log.ts` JSON, field `message`).
 * A test checks each one still appears in the source, so a reworded log line cannot silently
 * stop an alarm.
 */
export const LOG_SIGNALS = {
  /** The workflow's Catch after SNS/SES failed for good (flow-undo-challenge). */
  challengeDeliveryFailed: {
    handler: 'flow-undo-challenge',
    message: 'delivery failed; send taken back',
  },
  /** An activation code that could not be sent (factor enroll/resend). */
  activationDeliveryFailed: { message: 'activation delivery failed' },
  /** A factor locked after consecutive wrong codes (flow-verify). */
  factorLocked: { handler: 'flow-verify', message: 'factor locked' },
  /** An SMS challenge handed to the workflow's send (flow-challenge; `clientId` in the line). */
  smsChallenge: { handler: 'flow-challenge', message: 'challenge issued', factorType: 'sms' },
  /** An SMS activation code sent by factors-enroll/-resend (the app's `clientId` in the line). */
  smsActivation: { message: 'activation code sent', factorType: 'sms' },
  /** A send refused because the app spent its SMS budget for the hour (`clientId` in the line). */
  smsBudgetExceeded: { message: 'sms budget exceeded' },
  /** An activation email refused: the app spent `EMAIL_ACTIVATIONS_PER_APP_PER_HOUR`. */
  emailActivationBudgetExceeded: { message: 'email activation budget exceeded' },
  /** An audit event EventBridge refused after retries: the event is in this log line. */
  auditEventLost: { message: 'audit event not delivered' },
  /** The API answered 403 locked_out (access log line of shared/http/api-handler.ts). */
  lockedOutResponse: { message: 'request', code: 'locked_out' },
} as const;

export interface MfaAlarmThresholds {
  /** API 5xx answers in 5 minutes. @default 5 */
  readonly api5xx?: number;
  /** Codes that could not be delivered (SMS/email) in 5 minutes. @default 3 */
  readonly deliveryFailures?: number;
  /** Lockouts (403 locked_out answers and factor locks) in 5 minutes. @default 10 */
  readonly lockouts?: number;
  /**
   * SMS sent (challenges and activation codes, all apps) in one hour: SMS pumping costs money
   * fast. Per-app counts are on the dashboard (metric `SmsSentByApp`, dimension clientId).
   * @default 500
   */
  readonly smsPerHour?: number;
}

export interface MfaOperationsProps {
  readonly api: RestApi;
  readonly stateMachine: IStateMachine;
  /** Every function of the service, by handler name. */
  readonly functions: ReadonlyMap<string, MfaFunction>;
  /** Where EventBridge puts audit events it could not write to the audit log (`MfaEvents`). */
  readonly auditDeadLetterQueue: IQueue;
  /** @default - a new topic encrypted with its own key */
  readonly alarmTopic?: ITopic;
  /** Email addresses subscribed to the alarm topic. @default none */
  readonly alarmEmails?: readonly string[];
  readonly thresholds?: MfaAlarmThresholds;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Operations for the service: an ops SNS topic, alarms on API 5xx, delivery failures,
 * lockout spikes, workflow failures and throttles, lost audit events, and a small dashboard. Delivery failures
 * and lockouts are counted from the functions' structured logs by metric filters: no code,
 * no SDK and no bundle size spent on metrics.
 */
export class MfaOperations extends Construct {
  readonly alarmTopic: ITopic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  /** Namespace of the metrics counted from logs: one per stack. */
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: MfaOperationsProps) {
    super(scope, id);
    const { api, stateMachine, functions } = props;
    const thresholds = props.thresholds ?? {};
    this.namespace = `MfaService/${Stack.of(this).stackName}`;
    this.alarmTopic = props.alarmTopic ?? this.createTopic();
    for (const email of props.alarmEmails ?? []) {
      this.alarmTopic.addSubscription(new EmailSubscription(email));
    }

    const logGroupOf = (handler: string): ILogGroup => {
      const fn = functions.get(handler);
      if (!fn) throw new Error(`MfaOperations: no function ${handler}`);
      return fn.logGroup;
    };
    const counted = (metricName: string) =>
      new Metric({
        namespace: this.namespace,
        metricName,
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    const countLines = (
      handler: string,
      metricName: string,
      pattern: IFilterPattern,
      dimensions?: Record<string, string>,
    ) =>
      logGroupOf(handler).addMetricFilter(`${metricName}-${handler}`, {
        filterPattern: pattern,
        metricNamespace: this.namespace,
        metricName,
        metricValue: '1',
        ...(dimensions ? { dimensions } : {}),
      });

    // SMS volume: every SMS the service sends, in total (alarmed) and per app (dashboard).
    const smsSent: [string, IFilterPattern][] = [
      [
        LOG_SIGNALS.smsChallenge.handler,
        FilterPattern.all(
          FilterPattern.stringValue('$.message', '=', LOG_SIGNALS.smsChallenge.message),
          FilterPattern.stringValue('$.factorType', '=', 'sms'),
        ),
      ],
      ...['factors-enroll', 'factors-resend'].map(
        (handler) =>
          [
            handler,
            FilterPattern.all(
              FilterPattern.stringValue('$.message', '=', LOG_SIGNALS.smsActivation.message),
              FilterPattern.stringValue('$.factorType', '=', 'sms'),
            ),
          ] as [string, IFilterPattern],
      ),
    ];
    // A count in all, and one per app (`<metric>ByApp`, by the line's clientId).
    const countWithApp = (handler: string, metric: string, pattern: IFilterPattern) => {
      countLines(handler, metric, pattern);
      countLines(handler, `${metric}ByApp`, pattern, { clientId: '$.clientId' });
    };
    for (const [handler, pattern] of smsSent) countWithApp(handler, 'SmsSent', pattern);

    // Sends refused by an app's hourly caps: its SMS budget (SMS_PER_APP_PER_HOUR) and its
    // activation emails (EMAIL_ACTIVATIONS_PER_APP_PER_HOUR). Alarmed below.
    const refusedByCap = [
      [
        'SmsBudgetExceeded',
        LOG_SIGNALS.smsBudgetExceeded,
        ['flow-challenge', 'factors-enroll', 'factors-resend'],
      ],
      [
        'EmailActivationBudgetExceeded',
        LOG_SIGNALS.emailActivationBudgetExceeded,
        ['factors-enroll', 'factors-resend'],
      ],
    ] as const;
    for (const [metric, signal, handlers] of refusedByCap) {
      const pattern = FilterPattern.stringValue('$.message', '=', signal.message);
      for (const handler of handlers) countWithApp(handler, metric, pattern);
    }

    // Delivery failures: challenges (workflow Catch) and activation codes (API functions).
    countLines(
      LOG_SIGNALS.challengeDeliveryFailed.handler,
      'DeliveryFailures',
      FilterPattern.stringValue('$.message', '=', LOG_SIGNALS.challengeDeliveryFailed.message),
    );
    for (const handler of ['factors-enroll', 'factors-resend']) {
      countLines(
        handler,
        'DeliveryFailures',
        FilterPattern.stringValue('$.message', '=', LOG_SIGNALS.activationDeliveryFailed.message),
      );
    }
    // Lockouts: 403 locked_out answers, and factors locked across transactions.
    for (const handler of ['authn-verify', 'factors-activate']) {
      countLines(
        handler,
        'LockedOutResponses',
        FilterPattern.all(
          FilterPattern.stringValue('$.message', '=', LOG_SIGNALS.lockedOutResponse.message),
          FilterPattern.stringValue('$.code', '=', LOG_SIGNALS.lockedOutResponse.code),
        ),
      );
    }
    countLines(
      LOG_SIGNALS.factorLocked.handler,
      'FactorLocks',
      FilterPattern.stringValue('$.message', '=', LOG_SIGNALS.factorLocked.message),
    );

    // Audit events that did not reach the bus, from every function that publishes them.
    for (const handler of functions.keys()) {
      if (!accessOf(handler).includes('events')) continue;
      countLines(
        handler,
        'AuditEventsLost',
        FilterPattern.stringValue('$.message', '=', LOG_SIGNALS.auditEventLost.message),
      );
    }

    const api5xx = api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const deliveryFailures = counted('DeliveryFailures');
    const lockouts = new MathExpression({
      expression: 'FILL(responses, 0) + FILL(locks, 0)',
      usingMetrics: { responses: counted('LockedOutResponses'), locks: counted('FactorLocks') },
      period: FIVE_MINUTES,
      label: 'Lockouts',
    });
    const workflowFailures = new MathExpression({
      expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
      usingMetrics: {
        failed: stateMachine.metricFailed({ period: FIVE_MINUTES }),
        timedOut: stateMachine.metricTimedOut({ period: FIVE_MINUTES }),
        aborted: stateMachine.metricAborted({ period: FIVE_MINUTES }),
      },
      period: FIVE_MINUTES,
      label: 'Workflow failures',
    });
    const workflowThrottled = stateMachine.metric('ExecutionThrottled', {
      period: FIVE_MINUTES,
      statistic: 'Sum',
    });

    this.alarm('Api5xx', api5xx, thresholds.api5xx ?? 5, 'API answered 5xx (generic 500s, 503s)');
    this.alarm(
      'DeliveryFailures',
      deliveryFailures,
      thresholds.deliveryFailures ?? 3,
      'One-time codes could not be delivered (SNS/SES failed after retries)',
    );
    this.alarm(
      'LockoutSpike',
      lockouts,
      thresholds.lockouts ?? 10,
      'Lockouts spiked: possible brute force against codes',
    );
    this.alarm(
      'WorkflowFailures',
      workflowFailures,
      1,
      'MfaFlow executions failed, timed out or aborted',
    );
    this.alarm('WorkflowThrottled', workflowThrottled, 1, 'MfaFlow executions were throttled');
    this.alarm(
      'SmsVolume',
      new Metric({
        namespace: this.namespace,
        metricName: 'SmsSent',
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      thresholds.smsPerHour ?? 500,
      'SMS volume is unusually high: possible SMS pumping (check SmsSentByApp per app)',
    );
    this.alarm(
      'SmsBudgetExceeded',
      counted('SmsBudgetExceeded'),
      1,
      'An app reached its SMS budget (SMS_PER_APP_PER_HOUR): its SMS are refused until the next hour (check SmsBudgetExceededByApp)',
    );
    this.alarm(
      'EmailActivationBudgetExceeded',
      counted('EmailActivationBudgetExceeded'),
      1,
      'An app reached its hourly activation emails (EMAIL_ACTIVATIONS_PER_APP_PER_HOUR): its email enrollments are refused until the next hour; possibly mass enrollment of unproven addresses (check EmailActivationBudgetExceededByApp)',
    );
    this.alarm(
      'AuditEventsLost',
      counted('AuditEventsLost'),
      1,
      'Audit events did not reach EventBridge: they are only in the function logs',
    );
    // The other half: events on the bus that the audit rule could not write to the audit log.
    this.alarm(
      'AuditEventsUndelivered',
      props.auditDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      }),
      1,
      'Audit events EventBridge could not write to the audit log wait in its dead-letter queue (kept 14 days; each message is the event, with the error in its attributes)',
    );

    // An alarm's math may hold at most 10 metrics: one throttle alarm per ten functions.
    const throttles = [...functions.values()].map((fn) =>
      fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
    );
    const throttleGroups: IMetric[] = [];
    for (let start = 0; start < throttles.length; start += 10) {
      const group = throttles.slice(start, start + 10);
      const usingMetrics = Object.fromEntries(
        group.map((metric, index) => [`g${start / 10}t${index}`, metric]),
      );
      const expression = Object.keys(usingMetrics)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + ');
      const sum = new MathExpression({
        expression,
        usingMetrics,
        period: FIVE_MINUTES,
        label: 'Throttles',
      });
      throttleGroups.push(sum);
      this.alarm(
        `LambdaThrottles${start / 10 + 1}`,
        sum,
        1,
        `Lambda throttled invocations of ${[...functions.keys()].slice(start, start + 10).join(', ')}`,
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new TextWidget({
            markdown: `## MFA service\nAlarms notify the ops topic. Log-derived metrics: namespace \`${this.namespace}\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new GraphWidget({
            title: 'API requests and errors',
            left: [
              api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' }),
              api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' }),
              api5xx,
            ],
            width: 12,
          }),
          new GraphWidget({
            title: 'API latency (p50, p99)',
            left: [
              api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' }),
              api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
            ],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'MfaFlow executions',
            left: [
              stateMachine.metricStarted({ period: FIVE_MINUTES }),
              stateMachine.metricSucceeded({ period: FIVE_MINUTES }),
              workflowFailures,
              workflowThrottled,
            ],
            width: 12,
          }),
          new GraphWidget({
            title: 'Delivery failures and lockouts',
            left: [deliveryFailures, lockouts],
            width: 12,
          }),
        ],
        [
          new GraphWidget({ title: 'Lambda throttles', left: throttleGroups, width: 12 }),
          new GraphWidget({
            title: 'SMS sent per hour, by app',
            left: [
              new MathExpression({
                expression: `SEARCH('{${this.namespace},clientId} MetricName="SmsSentByApp"', 'Sum', 3600)`,
                usingMetrics: {},
                period: Duration.hours(1),
                label: 'SMS',
              }),
            ],
            width: 12,
          }),
        ],
      ],
    });
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string) {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    alarm.addOkAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }

  /** An encrypted topic that CloudWatch alarms, and nothing else of AWS, may publish to. */
  private createTopic(): ITopic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'MFA service alarm topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
      // Administration only: CloudWatch, below, is the one publisher that needs the key.
      policy: accountKeyPolicy(),
    });
    // CloudWatch publishes alarm notifications into the encrypted topic.
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'MFA service alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    return topic;
  }
}
