import { ArnFormat, Stack } from 'aws-cdk-lib';
import { EventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type ILogGroup, ResourcePolicy } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../shared/adapters/aws/eventbridge-publisher.js';

export interface MfaEventsProps {
  /** Where every event is copied to (`MfaData.auditLog`). */
  readonly auditLog: ILogGroup;
}

/**
 * The service's events: a bus of its own that every state change of a transaction or a factor
 * is put on (`source` `mfa.service`), and a rule that copies every event into the audit log
 * (`MfaData.auditLog`). Subscribe your own rules to the bus for anything else (SIEM, fraud
 * scoring).
 */
export class MfaEvents extends Construct {
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: MfaEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', {
      description: 'Step-up MFA: authentication and factor events',
    });
    const { auditLog } = props;
    // EventBridge writes to CloudWatch Logs under a resource policy (no role): this one, native
    // (the stock target would install it with a custom-resource Lambda).
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
    const toAuditLog: IRuleTarget = {
      bind: () => ({
        arn: Stack.of(auditLog).formatArn({
          service: 'logs',
          resource: 'log-group',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: auditLog.logGroupName,
        }),
        targetResource: auditLog,
      }),
    };
    new Rule(this, 'ToAuditLog', {
      eventBus: this.bus,
      description: 'Every MFA event into the audit log',
      eventPattern: { source: [EVENT_SOURCE] },
      targets: [toAuditLog],
    });
  }
}
