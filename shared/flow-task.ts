import type { Context } from 'aws-lambda';
import { type Deps, deps, serviceConfig } from './deps.js';
import { MfaError, type ProblemExtras, transientProblem } from './errors.js';
import type { FlowOutcome } from './flow.js';
import type { Logger } from './log.js';

/** What a use case gets: the dependencies, its logger and the request it serves. */
export type TaskDeps = Deps & { readonly log: Logger; readonly requestId: string };

/** A domain refusal as a workflow outcome (the API maps it back to problem+json). */
export const refusal = (error: MfaError): FlowOutcome => ({
  ok: false,
  code: error.code,
  detail: error.detail,
  extras: { ...error.extras, ...headerExtras(error.headers) },
});

// Retry-After travels as an extra so the API handler can put it back in the header.
const headerExtras = (headers: Record<string, string>): ProblemExtras =>
  headers['retry-after'] ? { retryAfter: Number(headers['retry-after']) } : {};

/**
 * Wraps a `MfaFlow` Lambda task. A domain refusal (`MfaError`) becomes an `{ ok: false }`
 * outcome; any other error fails the task so the state machine's Retry/Catch (and, in the
 * end, a generic 500) handle it. Called when the function module loads, it reads the config:
 * a bad setting fails the Lambda init (`ConfigError`), not every execution.
 */
export const taskHandler = <I extends { requestId: string; operation?: string }, O>(
  task: (input: I, deps: TaskDeps) => Promise<O>,
  onRefusal: (outcome: FlowOutcome) => O,
) => {
  serviceConfig();
  return async (input: I, context?: Context): Promise<O> => {
    const base = deps();
    const log = base.logger.child({
      requestId: input.requestId,
      operation: input.operation,
      awsRequestId: context?.awsRequestId,
    });
    try {
      return await task(input, { ...base, log, requestId: input.requestId });
    } catch (error) {
      if (error instanceof MfaError) return onRefusal(refusal(error));
      const busy = transientProblem(error);
      if (busy) {
        log.warn('task refused: AWS busy', { error });
        return onRefusal(refusal(busy));
      }
      log.error('task failed', { error });
      throw error;
    }
  };
};

/** Turns a workflow outcome into the body for the caller, or throws its problem. */
export const unwrapOutcome = (outcome: FlowOutcome): Record<string, unknown> => {
  if (outcome.ok) return outcome.body;
  const { retryAfter, ...extras } = outcome.extras ?? {};
  const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) };
  throw new MfaError(outcome.code, outcome.detail, extras, headers);
};
