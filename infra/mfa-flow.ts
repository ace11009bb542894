import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  LogLevel,
  QueryLanguage,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface MfaFlowProps {
  /** The Lambda task for `operation: "start"`. */
  readonly startTask: IFunction;
}

/**
 * The one workflow, `MfaFlow`: an Express state machine that routes each operation to its
 * branch. This is the only definition: the local runtime executes the ASL synthesized from it.
 * Inputs carry hashes, never raw state tokens or codes, and execution data is not logged.
 */
export class MfaFlow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: MfaFlowProps) {
    super(scope, id);
    const start = new LambdaInvoke(this, 'StartTransaction', {
      lambdaFunction: props.startTask,
      outputPath: '$.Payload',
    });
    const unknown = new Fail(this, 'UnknownOperation', {
      error: 'UnknownOperation',
      cause: 'The workflow has no branch for this operation',
    });
    const definition = new Choice(this, 'Operation')
      .when(Condition.stringEquals('$.operation', 'start'), start)
      .otherwise(unknown);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.EXPRESS,
      queryLanguage: QueryLanguage.JSON_PATH,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.seconds(30),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'Logs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ERROR,
        includeExecutionData: false,
      },
    });
  }
}
