import './polyfill.js';
import { randomUUID } from 'node:crypto';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { WorkflowFailedError } from '../shared/adapters/aws/sfn-workflow.js';
import { flowResult, type Workflow } from '../shared/flow.js';
import type { SyncExecution } from './sfn-endpoint.js';
import { type CfnTemplate, handlerOfFunctionArn, stateMachineDefinition } from './template.js';

type JsonValue = Parameters<StateMachine['run']>[0];
type TaskFn = (input: JsonValue) => Promise<JsonValue>;
type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;
export type HandlerLoader = (name: string) => Promise<LambdaHandler>;

interface State {
  Type?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: { States: Record<string, State> }[];
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
}

/** Every Task state of the definition, Parallel and Map branches included. */
export const taskStates = (states: Record<string, State>): [string, State][] =>
  Object.entries(states).flatMap(([name, state]) => {
    const nested = [
      ...(state.Branches ?? []),
      ...(state.ItemProcessor ? [state.ItemProcessor] : []),
      ...(state.Iterator ? [state.Iterator] : []),
    ].flatMap((branch) => taskStates(branch.States));
    return state.Type === 'Task' ? [[name, state] as [string, State], ...nested] : nested;
  });

const lambdaContext = (functionName: string): Context =>
  ({
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionName,
    memoryLimitInMB: '256',
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
  }) as Context;

/**
 * Rethrows an SDK call's error under the name Step Functions gives an AWS SDK integration's
 * error (`Sns.InternalErrorException`: the service's prefix, then the code with `Exception`
 * appended if it lacks it), so the definition's Retry and Catch match here what they match
 * on AWS.
 */
export const asIntegrationError =
  (prefix: string) =>
  (error: unknown): never => {
    const code = error instanceof Error ? error.name : 'Unknown';
    const renamed = new Error(error instanceof Error ? error.message : String(error));
    renamed.name = `${prefix}.${code.endsWith('Exception') ? code : `${code}Exception`}`;
    throw renamed;
  };

/**
 * Gives each Task of the synthesized ASL its local stand-in, chosen by its `Resource` the way
 * Step Functions would: Lambda invokes run the same handler modules, SNS and SES calls go
 * through the real SDK clients to the local endpoints. A Task with no stand-in is an error at
 * start-up, never a silent call to AWS.
 */
const localTaskHandlers = async (
  template: CfnTemplate,
  definition: Record<string, unknown>,
  loadHandler: HandlerLoader,
): Promise<Record<string, TaskFn>> => {
  // One HTTP attempt per task attempt: the definition's Retry is the retry policy, and what
  // the local endpoints count is what it did.
  const sns = new SNSClient({ maxAttempts: 1 });
  const ses = new SESClient({ maxAttempts: 1 });
  const handlers: Record<string, TaskFn> = {};
  for (const [name, state] of taskStates(definition.States as Record<string, State>)) {
    const resource = state.Resource ?? '';
    if (resource === 'arn:aws:states:::lambda:invoke') {
      const functionArn = String(state.Parameters?.FunctionName);
      const module = handlerOfFunctionArn(template, functionArn);
      const handler = await loadHandler(module);
      handlers[name] = async (input) => {
        const { Payload } = input as { Payload: unknown };
        // Payloads cross the Lambda boundary as JSON, both ways.
        const result = await handler(
          JSON.parse(JSON.stringify(Payload ?? null)),
          lambdaContext(module),
        );
        return {
          StatusCode: 200,
          ExecutedVersion: '$LATEST',
          Payload: JSON.parse(JSON.stringify(result ?? null)),
        };
      };
    } else if (
      resource === 'arn:aws:states:::sns:publish' ||
      resource === 'arn:aws:states:::aws-sdk:sns:publish'
    ) {
      handlers[name] = async (input) => {
        const out = await sns
          .send(new PublishCommand(input as unknown as PublishCommandInput))
          .catch(asIntegrationError('Sns'));
        return { MessageId: out.MessageId ?? '' };
      };
    } else if (resource === 'arn:aws:states:::aws-sdk:ses:sendEmail') {
      handlers[name] = async (input) => {
        const out = await ses
          .send(new SendEmailCommand(input as unknown as SendEmailCommandInput))
          .catch(asIntegrationError('Ses'));
        return { MessageId: out.MessageId ?? '' };
      };
    } else {
      throw new Error(`No local stand-in for Task "${name}" (${resource})`);
    }
  }
  return handlers;
};

export interface LocalWorkflow extends Workflow {
  /** The ASL being executed, exactly as resolved from the synthesized template. */
  readonly definition: Record<string, unknown>;
  /** One execution as StartSyncExecution reports it (what the local endpoint answers). */
  execute(input: unknown): Promise<SyncExecution>;
}

/**
 * Runs `MfaFlow` from the synthesized template with aws-local-stepfunctions, and answers as
 * `createSfnWorkflow` does (`flowResult`).
 */
export const createLocalWorkflow = async (
  template: CfnTemplate,
  loadHandler: HandlerLoader,
): Promise<LocalWorkflow> => {
  const definition = stateMachineDefinition(template);
  const taskResourceLocalHandlers = await localTaskHandlers(template, definition, loadHandler);
  // Built and validated once: constructing a StateMachine is the expensive part. It gets a
  // copy because it annotates the states it is given.
  const machine = new StateMachine(
    structuredClone(definition) as unknown as StateMachineDefinition,
    {
      validationOptions: { checkArn: true, checkPaths: true },
    },
  );
  const execute = async (input: unknown): Promise<SyncExecution> => {
    try {
      const requestId = (input as { requestId?: unknown } | null)?.requestId;
      const execution = machine.run(input as JsonValue, {
        overrides: { taskResourceLocalHandlers },
        context: {
          Execution: { Id: randomUUID(), Name: typeof requestId === 'string' ? requestId : '' },
        },
      });
      return { status: 'SUCCEEDED', output: JSON.stringify(await execution.result) };
    } catch (error) {
      // Like StartSyncExecution's `error`: the States error name, never the cause or data.
      const cause = error instanceof Error ? error.cause : undefined;
      const name =
        cause instanceof Error ? cause.name : error instanceof Error ? error.name : 'Error';
      return { status: 'FAILED', error: name };
    }
  };
  return {
    definition,
    execute,
    run: async (input) => {
      const execution = await execute(input);
      if (execution.status !== 'SUCCEEDED') {
        throw new WorkflowFailedError(`MfaFlow FAILED: ${execution.error}`);
      }
      // As on AWS: the result, or the task's refusal thrown as its MfaError.
      return flowResult(JSON.parse(execution.output));
    },
  };
};
