import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { EventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type ILogGroup, ResourcePolicy } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../shared/adapters/aws/eventbridge-publisher.js';

export interface MfaEventsProps {
  /** Where every event is copied to (`MfaData.auditLog`). */
  readonly auditLog: ILogGroup;
}

/**
 * The service's events: a bus of its own that every state change of a transaction or a factor
 * is put on (`source` `mfa.service`), and a rule that copies every event into the audit log
 * (`MfaData.auditLog`), retrying for EventBridge's longest (24 h, 185 attempts), then into a
 * dead-letter queue kept 14 days (`MfaOperations` alarms on any message in it). Subscribe
 * your own rules to the bus for anything else (SIEM, fraud scoring).
 */
export class MfaEvents extends Construct {
  readonly bus: EventBus;
  /** Audit events the rule could not write to the audit log (each message is the event). */
  readonly auditDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: MfaEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', {
      description: 'Step-up MFA: authentication and factor events',
    });
    const { auditLog } = props;
    // EventBridge writes to CloudWatch Logs under a resource policy (no role): this one, native
    // (the stock target would install it with a custom-resource Lambda). No aws:SourceArn or
    // aws:SourceAccount condition: AWS documents none for this delivery (its example policy has
    // none), and a condition the delivery does not meet would send every event to the queue.
    new ResourcePolicy(this, 'AuditLogPolicy', {
      policyStatements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [auditLog.logGroupArn],
        }),
      ],
    });
    // Without it, an event EventBridge gives up on (after its retries, or at once when it may
    // not write the log group) is dropped with no trace but a metric.
    this.auditDeadLetterQueue = new Queue(this, 'AuditDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14), // SQS's longest
    });
    Validations.of(this.auditDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter queue of the audit rule's target: nothing consumes it, so nothing could fail to process it, and the AuditEventsUndelivered alarm fires on its first message.",
    });
    const toAuditLog: IRuleTarget = {
      bind: () => ({
        arn: Stack.of(auditLog).formatArn({
          service: 'logs',
          resource: 'log-group',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: auditLog.logGroupName,
        }),
        targetResource: auditLog,
        deadLetterConfig: { arn: this.auditDeadLetterQueue.queueArn },
        // EventBridge's maximums (also its defaults), written out: a log group that refuses
        // writes for a while (throttling, a policy being fixed) loses nothing within a day.
        retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      }),
    };
    const rule = new Rule(this, 'ToAuditLog', {
      eventBus: this.bus,
      description: 'Every MFA event into the audit log',
      eventPattern: { source: [EVENT_SOURCE] },
      targets: [toAuditLog],
    });
    // A hand-written target gets no queue policy from CDK (its helper for stock targets,
    // `addToDeadLetterQueueResourcePolicy`, is internal): this rule, and only it, may send.
    this.auditDeadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AuditRuleDeadLetters',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.auditDeadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
  }
}
