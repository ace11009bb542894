import type { Context } from 'aws-lambda';
import { type Deps, deps } from './deps.js';
import { MfaError } from './errors.js';
import type { FlowInput, FlowOutcome } from './flow.js';
import type { Logger } from './log.js';

/**
 * Wraps a `MfaFlow` Lambda task. A domain refusal (`MfaError`) becomes a `{ ok: false }`
 * outcome the API maps to problem+json; any other error fails the task so the state
 * machine's Retry/Catch (and, in the end, a generic 500) handle it.
 */
export const taskHandler =
  <I extends FlowInput>(task: (input: I, deps: Deps & { log: Logger }) => Promise<FlowOutcome>) =>
  async (input: I, context?: Context): Promise<FlowOutcome> => {
    const base = deps();
    const log = base.logger.child({
      requestId: input.requestId,
      operation: input.operation,
      awsRequestId: context?.awsRequestId,
    });
    try {
      return await task(input, { ...base, log });
    } catch (error) {
      if (error instanceof MfaError) {
        return { ok: false, code: error.code, detail: error.detail, extras: error.extras };
      }
      log.error('task failed', { error });
      throw error;
    }
  };

/** Turns a workflow outcome into the body for the caller, or throws its problem. */
export const unwrapOutcome = (outcome: FlowOutcome): Record<string, unknown> => {
  if (outcome.ok) return outcome.body;
  throw new MfaError(outcome.code, outcome.detail, outcome.extras);
};
