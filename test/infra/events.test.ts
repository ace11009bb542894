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
});
