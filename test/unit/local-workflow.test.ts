import { describe, expect, it } from 'vitest';
import {
  type CfnTemplate,
  functionEnvironment,
  handlerOfFunctionArn,
  resolveIntrinsics,
  stateMachineDefinition,
} from '../../local/template.js';
import { asIntegrationError, createLocalWorkflow, taskStates } from '../../local/workflow.js';
import { MfaError } from '../../shared/errors.js';
import { refusal, type StartInput } from '../../shared/flow.js';

/** A template shaped like the one CDK synthesizes: the ASL as Fn::Join with Ref/GetAtt parts. */
const templateWith = (states: Record<string, unknown>): CfnTemplate => {
  const asl = JSON.stringify({ StartAt: 'Operation', States: states, QueryLanguage: 'JSONPath' });
  const parts = asl.split('__FN__');
  const joined = parts.flatMap((part, i) =>
    i === 0 ? [part] : [{ 'Fn::GetAtt': ['Fn1', 'Arn'] }, part],
  );
  return {
    Resources: {
      Table1: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Fn1: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Tags: [{ Key: 'mfa:handler', Value: 'flow-start' }],
          Environment: { Variables: { TABLE_NAME: { Ref: 'Table1' }, LOG_LEVEL: 'info' } },
        },
      },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { DefinitionString: { 'Fn::Join': ['', joined] } },
      },
    },
  };
};

const lambdaTask = (next: Record<string, unknown> = { End: true }) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: '__FN__', 'Payload.$': '$' },
  OutputPath: '$.Payload',
  ...next,
});

const choice = (fallback: string) => ({
  Type: 'Choice',
  Choices: [{ Variable: '$.operation', StringEquals: 'start', Next: 'Start' }],
  Default: fallback,
});

const input: StartInput = {
  operation: 'start',
  requestId: 'r1',
  clientId: 'c',
  stateTokenHash: 'h',
  userId: 'u',
};
const echo = async () => async (event: unknown) => ({ ok: true, body: { seen: event } });

describe('template resolution', () => {
  it('resolves the ASL, the handler of each function and the function environment', () => {
    const template = templateWith({ Operation: choice('Start'), Start: lambdaTask() });
    const definition = stateMachineDefinition(template);
    const fnArn = (definition.States as Record<string, { Parameters: { FunctionName: string } }>)
      .Start?.Parameters.FunctionName;
    expect(fnArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:Fn1');
    expect(handlerOfFunctionArn(template, fnArn ?? '')).toBe('flow-start');
    expect(functionEnvironment(template)).toEqual({ TABLE_NAME: 'Table1', LOG_LEVEL: 'info' });
  });

  it('refuses intrinsics it cannot resolve instead of guessing', () => {
    const template = templateWith({});
    expect(() => resolveIntrinsics(template, { Ref: 'Nope' })).toThrow('Cannot resolve Ref Nope');
    expect(() => resolveIntrinsics(template, { 'Fn::GetAtt': ['Fn1', 'Name'] })).toThrow('GetAtt');
    expect(
      resolveIntrinsics(template, { 'Fn::Join': ['-', ['a', { Ref: 'AWS::Partition' }]] }),
    ).toBe('a-aws');
  });

  it('finds Task states inside Parallel and Map branches', () => {
    const states = {
      P: { Type: 'Parallel', Branches: [{ States: { A: { Type: 'Task' }, B: { Type: 'Pass' } } }] },
      M: { Type: 'Map', ItemProcessor: { States: { C: { Type: 'Task' } } } },
      D: { Type: 'Task' },
    };
    expect(
      taskStates(states)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['A', 'C', 'D']);
  });
});

describe('local workflow', () => {
  it('runs the Lambda task through the handler named by the function tag, with JSON payloads', async () => {
    const workflow = await createLocalWorkflow(
      templateWith({ Operation: choice('Start'), Start: lambdaTask() }),
      echo,
    );
    await expect(workflow.run(input)).resolves.toEqual({ body: { seen: input } });
  });

  it('executes whatever the template says: a changed state changes the execution', async () => {
    const changed = templateWith({
      Operation: choice('Start'),
      Start: lambdaTask({ Next: 'Shape' }),
      Shape: {
        Type: 'Pass',
        Parameters: { ok: true, body: { 'user.$': '$.body.seen.userId' } },
        End: true,
      },
    });
    const workflow = await createLocalWorkflow(changed, echo);
    await expect(workflow.run(input)).resolves.toEqual({ body: { user: 'u' } });
  });

  it("throws a task's refusal as its MfaError, Retry-After back in the header", async () => {
    const refusing = async () => async () =>
      refusal(new MfaError('rate_limited', 'Wait', { limit: 3 }, { 'retry-after': '7' }));
    const workflow = await createLocalWorkflow(
      templateWith({ Operation: choice('Start'), Start: lambdaTask() }),
      refusing,
    );
    const error = await workflow.run(input).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MfaError);
    expect(error).toMatchObject({
      code: 'rate_limited',
      status: 429,
      detail: 'Wait',
      extras: { limit: 3 },
      headers: { 'retry-after': '7' },
    });
  });

  it('fails the execution, without its data, when the definition fails', async () => {
    const failing = templateWith({
      Operation: {
        ...choice('Unknown'),
        Choices: [{ Variable: '$.operation', StringEquals: 'start', Next: 'Unknown' }],
      },
      Unknown: { Type: 'Fail', Error: 'UnknownOperation', Cause: 'no branch' },
    });
    const workflow = await createLocalWorkflow(failing, echo);
    await expect(workflow.run(input)).rejects.toMatchObject({
      name: 'WorkflowFailedError',
      message: 'MfaFlow FAILED: UnknownOperation',
    });
  });

  it('refuses at start-up a Task with no local stand-in', async () => {
    const template = templateWith({
      Operation: choice('Start'),
      Start: { Type: 'Task', Resource: 'arn:aws:states:::kms:sign', End: true },
    });
    await expect(createLocalWorkflow(template, echo)).rejects.toThrow(
      'No local stand-in for Task "Start"',
    );
  });
});

describe('SNS and SES stand-ins', () => {
  it("throw an SDK error under Step Functions' name for it, so Retry and Catch match as on AWS", () => {
    const sdkError = (name: string) => Object.assign(new Error('boom'), { name });
    const thrown = (prefix: string, name: string) => {
      try {
        asIntegrationError(prefix)(sdkError(name));
      } catch (error) {
        return error as Error;
      }
      throw new Error('nothing thrown');
    };
    // A code without the suffix gets it (the common InternalFailure, SES's Throttling) ...
    expect(thrown('Sns', 'InternalFailure')).toMatchObject({
      name: 'Sns.InternalFailureException',
      message: 'boom',
    });
    expect(thrown('Ses', 'Throttling').name).toBe('Ses.ThrottlingException');
    // ... and a modeled exception keeps its name.
    expect(thrown('Sns', 'InternalErrorException').name).toBe('Sns.InternalErrorException');
  });
});
