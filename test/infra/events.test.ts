import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../shared/adapters/aws/eventbridge-publisher.js';
import {
  handlerResources,
  ofType,
  propertiesOf,
  type Resources,
  roleStatements,
  single,
  statementsOf,
  synthStack,
} from '../support/synth.js';

let resources: Resources;

beforeAll(() => {
  resources = synthStack({ auditRetention: RetentionDays.TWO_YEARS }).template.toJSON()
    .Resources as Resources;
});

describe('events and audit', () => {
  it('a bus of its own, and a rule that copies every service event into the retained audit log', () => {
    const [busId] = single(ofType(resources, 'AWS::Events::EventBus'), 'bus');
    const [, rule] = single(ofType(resources, 'AWS::Events::Rule'), 'rule');
    expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
    expect(rule.Properties.EventPattern).toEqual({ source: [EVENT_SOURCE] });
    const [target] = rule.Properties.Targets as { Arn: unknown; RoleArn?: unknown }[];
    expect(JSON.stringify(target?.Arn)).toContain(':log-group:');
    expect(target?.RoleArn).toBeUndefined();

    const auditLogId = 'DataAuditLog01574B20';
    expect(resources[auditLogId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 731 },
    });
    expect(JSON.stringify(target?.Arn)).toContain(auditLogId);
  });

  it('lets EventBridge write that log group only, through a native resource policy (no custom resource)', () => {
    const [, policy] = single(ofType(resources, 'AWS::Logs::ResourcePolicy'), 'policy');
    // A JSON string joined with the log group's ARN.
    const text = JSON.stringify(policy.Properties.PolicyDocument);
    expect(text).toContain('events.amazonaws.com');
    expect(text).toContain('logs:PutLogEvents');
    expect(text).toContain('DataAuditLog01574B20');
    expect(ofType(resources, 'Custom::AWS')).toEqual([]);
    expect(ofType(resources, 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });

  it('functions that change state know the bus and may put events on it, and on nothing else', () => {
    const [busId] = single(ofType(resources, 'AWS::Events::EventBus'), 'bus');
    const publishers: string[] = [];
    for (const [handler, { functionId, roleId }] of handlerResources(resources)) {
      const env = (
        propertiesOf(resources, functionId).Environment as { Variables: Record<string, unknown> }
      ).Variables;
      const statements = roleStatements(resources, roleId);
      const puts = statements.filter((s) => [s.Action].flat().includes('events:PutEvents'));
      if (puts.length === 0) continue;
      publishers.push(handler);
      expect(env.EVENT_BUS_NAME).toEqual({ Ref: busId });
      for (const statement of puts) {
        expect([statement.Resource].flat()).toEqual([{ 'Fn::GetAtt': [busId, 'Arn'] }]);
      }
    }
    expect(publishers.sort()).toEqual([
      // A success's events go out while the token and receipt are signed.
      'authn-start',
      'authn-verify',
      'factors-activate',
      'factors-delete',
      'factors-enroll',
      'flow-cancel',
      'flow-challenge',
      'flow-start',
      'flow-undo-challenge',
      'flow-verify',
      'trusted-payees-add',
      'trusted-payees-remove',
    ]);
  });

  it("keeps what the rule gives up on: retries for EventBridge's longest, then a dead-letter queue only this rule may send to", () => {
    const [ruleId, rule] = single(ofType(resources, 'AWS::Events::Rule'), 'rule');
    const [queueId, queue] = single(ofType(resources, 'AWS::SQS::Queue'), 'queue');
    const [target] = rule.Properties.Targets as Record<string, unknown>[];
    expect(target?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    expect(target?.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: 86_400,
      MaximumRetryAttempts: 185,
    });
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });

    const [, policy] = single(ofType(resources, 'AWS::SQS::QueuePolicy'), 'queue policy');
    expect(policy.Properties.Queues).toEqual([{ Ref: queueId }]);
    const statements = statementsOf(policy.Properties.PolicyDocument);
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage'],
        Resource: [{ 'Fn::GetAtt': [queueId, 'Arn'] }],
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      }),
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('alarms on the first audit event in that queue, to the ops topic like every alarm', () => {
    const [queueId] = single(ofType(resources, 'AWS::SQS::Queue'), 'queue');
    const [topicId] = single(ofType(resources, 'AWS::SNS::Topic'), 'topic');
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) => alarm.Properties.Namespace === 'AWS/SQS',
    );
    const [id, alarm] = single(alarms, 'SQS alarm');
    expect(id).toMatch(/^ServiceOperationsAuditEventsUndelivered/);
    expect(alarm.Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
  });
});
