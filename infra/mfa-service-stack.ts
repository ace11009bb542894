import { CfnOutput, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { MfaData } from './mfa-data.js';
import { MfaService, type MfaServiceProps } from './mfa-service.js';

export interface MfaServiceStackProps extends StackProps, Omit<MfaServiceProps, 'data'> {
  /**
   * What `cdk destroy` does with the table, data key, OTP secret, audit log and (unless
   * `signingKeyRemovalPolicy` says otherwise) the token signing keys.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /** How long audit records are kept. @default RetentionDays.FIVE_YEARS */
  readonly auditRetention?: RetentionDays;
}

/**
 * The project's own deployment: `MfaData` (stateful, retained) and `MfaService` (stateless)
 * side by side in one stack, the shape the local runtime reads. A team that wants data in
 * a stack of its own moves the `MfaData` line there and passes it in.
 */
export class MfaServiceStack extends Stack {
  readonly data: MfaData;
  readonly service: MfaService;

  constructor(scope: Construct, id: string, props: MfaServiceStackProps = {}) {
    super(scope, id, props);
    this.data = new MfaData(this, 'Data', {
      existingTable: props.existingTable,
      removalPolicy: props.dataRemovalPolicy,
      auditRetention: props.auditRetention,
    });
    this.service = new MfaService(this, 'Service', {
      ...props,
      signingKeyRemovalPolicy: props.signingKeyRemovalPolicy ?? props.dataRemovalPolicy,
      data: this.data,
    });
    const { service, data } = this;
    const outputs: Record<string, string> = {
      ApiUrl: service.api.url,
      JwksUrl: service.jwksUrl,
      AlarmTopicArn: service.operations.alarmTopic.topicArn,
      EventBusName: service.events.bus.eventBusName,
      AuditLogGroup: data.auditLog.logGroupName,
      // For the operator CLIs: npm run client -- --table, npm run signing-key -- --key-id.
      TableName: data.table.tableName,
      DataKeyArn: data.dataKey.keyArn,
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}
