import type { Context } from 'aws-lambda';
import { composeDeps, type Deps, type Part, serviceConfig } from './deps.js';
import { MfaError, transientProblem } from './errors.js';
import { type FlowOutcome, refusal } from './flow.js';
import type { Logger } from './log.js';

/** What a use case gets: the dependencies, its logger and the request it serves. */
export type TaskDeps = Deps & { readonly log: Logger; readonly requestId: string };

interface TaskOptions {
  /**
   * The parts (`shared/compose/*`) the task uses besides the core; match the handler's
   * access in `infra/permissions.ts`.
   */
  readonly uses: readonly Part[];
}

/**
 * Wraps a `MfaFlow` Lambda task. A domain refusal (`MfaError`) becomes an `{ ok: false }`
 * outcome (`refusal`), which `Workflow.run` throws again as that `MfaError`; any other error
 * fails the task so the state machine's Retry/Catch (and, in the end, a generic 500) handle
 * it. Called when the function module loads, it reads the config: a bad setting fails the
 * Lambda init (`ConfigError`), not every execution. The task's dependencies are the core and
 * `options.uses` only (`composeDeps`); the returned handler names them in `parts`.
 *
 * @example
 * export const handler = taskHandler<StatusInput, unknown>(
 *   { uses: [userStore] },
 *   transactionStatus,
 *   (refusal) => refusal,
 * );
 */
export const taskHandler = <I extends { requestId: string; operation?: string }, O>(
  options: TaskOptions,
  task: (input: I, deps: TaskDeps) => Promise<O>,
  onRefusal: (outcome: FlowOutcome) => O,
) => {
  serviceConfig();
  const deps = composeDeps(options.uses);
  const handler = async (input: I, context?: Context): Promise<O> => {
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
  return Object.assign(handler, { parts: deps.parts });
};
