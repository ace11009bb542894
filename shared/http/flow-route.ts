import type * as z from 'zod/mini';
import { parseStateToken } from '../domain/state-token.js';
import { MfaError } from '../errors.js';
import type { FlowInput, FlowOutcome } from '../flow.js';
import { unwrapOutcome } from '../flow-task.js';
import { type ApiRequest, apiHandler } from './api-handler.js';
import { factorIdSchema, pathParam } from './schemas.js';

type Operation = Exclude<FlowInput['operation'], 'start'>;

interface FlowRouteOptions<B> {
  /** More input, computed from the request (only hashed values: it enters the workflow). */
  readonly extra?: (
    request: ApiRequest<B>,
    target: { stateTokenHash: string; factorId: string },
  ) => Promise<Record<string, string>>;
  /** The response body from the outcome (default: the outcome's body, or its problem). */
  readonly finish?: (
    outcome: FlowOutcome,
    request: ApiRequest<B>,
  ) => Promise<Record<string, unknown>>;
}

/**
 * A route that runs one `MfaFlow` operation on the transaction named by `stateToken`. Only
 * the token's SHA-256 (and the user reference it carries) enters the workflow.
 */
export const flowRoute = <S extends z.ZodMiniType<{ stateToken: string }>>(
  operation: Operation,
  body: S,
  options: FlowRouteOptions<z.infer<S>> = {},
) =>
  apiHandler({ auth: 'client', body }, async (request) => {
    // Not one of ours: as unknown as a token that expired long ago, and no workflow run.
    const token = parseStateToken(request.body.stateToken);
    if (!token) throw new MfaError('not_found', 'Unknown state token');
    const { stateTokenHash } = token;
    const factorId =
      operation === 'challenge' || operation === 'verify'
        ? pathParam(request.pathParameters, 'factorId', factorIdSchema, 'not_found')
        : undefined;
    const typed = request as ApiRequest<z.infer<S>>;
    const outcome = await request.deps.workflow.run({
      operation,
      requestId: request.requestId,
      clientId: request.clientId,
      ...token,
      ...(factorId === undefined ? {} : { factorId }),
      ...(await options.extra?.(typed, { stateTokenHash, factorId: factorId ?? '' })),
    } as FlowInput);
    const finish = options.finish ?? (async (result: FlowOutcome) => unwrapOutcome(result));
    return { status: 200, body: await finish(outcome, typed) };
  });
