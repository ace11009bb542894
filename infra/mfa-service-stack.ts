import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { routes } from '../shared/routes.js';
import { tableDefinition } from '../shared/table.js';
import { MfaFlow } from './mfa-flow.js';
import { MfaFunction } from './mfa-function.js';

export interface MfaServiceStackProps extends StackProps {
  /** Life of a state token. @default 300 */
  readonly stateTokenTtlSeconds?: number;
  /** Function log level. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** API Gateway stage name. @default 'live' */
  readonly stageName?: string;
}

/** The step-up MFA service: table, `MfaFlow`, one function per route and task, the REST API. */
export class MfaServiceStack extends Stack {
  readonly api: RestApi;
  readonly table: Table;
  readonly flow: MfaFlow;

  constructor(scope: Construct, id: string, props: MfaServiceStackProps = {}) {
    super(scope, id, props);

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

    const environment = {
      TABLE_NAME: this.table.tableName,
      LOG_LEVEL: props.logLevel ?? 'info',
      STATE_TOKEN_TTL_SECONDS: String(props.stateTokenTtlSeconds ?? 300),
    };

    const startTask = new MfaFunction(this, 'FlowStart', { handler: 'flow-start', environment });
    this.table.grantReadWriteData(startTask);
    this.flow = new MfaFlow(this, 'MfaFlow', { startTask });

    this.api = new RestApi(this, 'Api', {
      description: 'Step-up MFA service',
      deployOptions: { stageName: props.stageName ?? 'live' },
    });
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
        });
        this.table.grantReadData(fn);
        this.flow.stateMachine.grantStartSyncExecution(fn);
        functions.set(route.handler, fn);
      }
      this.api.root.resourceForPath(route.path).addMethod(route.method, new LambdaIntegration(fn));
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
  }
}
