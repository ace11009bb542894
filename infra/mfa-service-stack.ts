import { type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MfaData } from './mfa-data.js';
import { MfaService, type MfaServiceProps } from './mfa-service.js';

export interface MfaServiceStackProps extends StackProps, Omit<MfaServiceProps, 'data'> {
  /**
   * What `cdk destroy` does with the table, data key and OTP secret.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
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
    });
    this.service = new MfaService(this, 'Service', { ...props, data: this.data });
  }
}
