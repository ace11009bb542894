import { type SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { flowResult, type Workflow } from '../../flow.js';

export class WorkflowFailedError extends Error {
  override readonly name = 'WorkflowFailedError';
}

/**
 * Runs `MfaFlow` with StartSyncExecution (Express workflows answer in the same call): the
 * result, or the task's refusal thrown as its `MfaError` (`flowResult`).
 */
export const createSfnWorkflow = (sfn: SFNClient, stateMachineArn: string): Workflow => ({
  run: async (input) => {
    const out = await sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn,
        name: input.requestId.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 80),
        input: JSON.stringify(input),
      }),
    );
    if (out.status !== 'SUCCEEDED' || !out.output) {
      // Only the error name: a cause can echo execution data.
      throw new WorkflowFailedError(
        `MfaFlow ${out.status ?? 'UNKNOWN'}: ${out.error ?? 'no error'}`,
      );
    }
    return flowResult(JSON.parse(out.output));
  },
});
