import {
  DescribeStateMachineCommand,
  SFNClient,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sfnClientConfig } from '../../shared/compose/workflow.js';
import { startAuthn, unique } from '../support/flows.js';
import { startTestRuntime } from '../support/local.js';

/**
 * Issue 18: the functions call Step Functions over the wire locally too. The runtime serves
 * the JSON protocol's StartSyncExecution (the synthesized ASL behind it) and points the
 * functions' production adapter at it.
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let sfn: SFNClient;

beforeAll(async () => {
  runtime = await startTestRuntime();
  sfn = new SFNClient({ ...sfnClientConfig(process.env), maxAttempts: 1 });
});
afterAll(async () => {
  sfn?.destroy();
  await runtime?.close();
});

describe('the local Step Functions endpoint', () => {
  it('is where the functions send their executions: every flow step is one StartSyncExecution', async () => {
    expect(process.env.AWS_ENDPOINT_URL_SFN).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.STATE_MACHINE_ARN).toMatch(
      /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:MfaFlow$/,
    );
    const before = runtime.stats.workflowExecutions;
    const started = await startAuthn(runtime.url, { userId: unique('sfn') });
    expect(started.status).toBe('MFA_ENROLL');
    expect(runtime.stats.workflowExecutions).toBe(before + 1);
  });

  it('answers StartSyncExecution with the execution output, as Step Functions does', async () => {
    const out = await sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: process.env.STATE_MACHINE_ARN,
        name: 'local-test',
        input: JSON.stringify({
          operation: 'status',
          requestId: 'r-1',
          clientId: 'demo',
          userRef: 'nobody',
          stateTokenHash: 'h'.repeat(43),
        }),
      }),
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? '{}')).toMatchObject({ ok: false, code: 'not_found' });
    expect(out.executionArn).toContain(':express:');
  });

  it('refuses another state machine and any other call, as AWS would', async () => {
    await expect(
      sfn.send(
        new StartSyncExecutionCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Other',
          input: '{}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: process.env.STATE_MACHINE_ARN })),
    ).rejects.toMatchObject({ name: 'UnknownOperationException' });
  });
});
