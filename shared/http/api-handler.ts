import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { composeDeps, type Deps, type Part, serviceConfig } from '../deps.js';
import type { Policy } from '../domain/policy/index.js';
import { MfaError, transientProblem } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';
import type { Logger } from '../log.js';
import { authenticateClient } from './client-auth.js';
import { headerValue, parseJsonBody } from './json-body.js';
import { jsonResponse, problemResponse } from './problem.js';

export interface ApiRequest<Body> {
  readonly event: APIGatewayProxyEvent;
  readonly requestId: string;
  readonly body: Body;
  /** The authenticated app ('' on `auth: 'none'` routes). */
  readonly clientId: string;
  /**
   * The policy that applies to the app: its own, else `DEFAULT_POLICY`; undefined when neither
   * is set (today's behaviour, `require: "mfa"`) and on `auth: 'none'` routes. Read with the
   * client record: no request of its own.
   */
  readonly clientPolicy?: Policy;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly log: Logger;
  readonly deps: Deps;
}

/** The dependencies a use case takes: the request's logger included. */
export const useCaseDeps = (request: ApiRequest<unknown>): TaskDeps => ({
  ...request.deps,
  log: request.log,
  requestId: request.requestId,
});

/** The user's MFA token sent with a factor change (`X-MFA-Token`), if any. */
export const mfaTokenOf = (request: ApiRequest<unknown>) =>
  headerValue(request.event, 'x-mfa-token') || undefined;

/**
 * What a factor change's step-up reads of the request: the user's MFA token, and whether the
 * app's policy counts email as possession (a user's factors then prove more categories).
 */
export const stepUpOf = (request: ApiRequest<unknown>) => ({
  mfaToken: mfaTokenOf(request),
  ...(request.clientPolicy?.emailIsPossession === true ? { emailIsPossession: true } : {}),
});

export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface Options<S extends z.ZodMiniType | undefined> {
  readonly auth: 'none' | 'client';
  /** Request body schema; routes without one read no body. */
  readonly body?: S;
  /**
   * The parts (`shared/compose/*`) the route uses besides the core (config, logger, clock,
   * random); `auth: 'client'` needs `clientStore`. Match the handler's access in
   * `infra/permissions.ts`. @default [] (no AWS client)
   */
  readonly uses?: readonly Part[];
}

type BodyOf<S> = S extends z.ZodMiniType ? z.infer<S> : undefined;

/** What the middlewares learn about a request, kept on the Lambda context. */
interface RequestState {
  requestId: string;
  log: Logger;
  startedMs: number;
  clientId: string;
  clientPolicy?: Policy;
  body: unknown;
}
type StatefulContext = Context & { mfa: RequestState };

const accessLog = (
  state: RequestState,
  event: APIGatewayProxyEvent,
  status: number,
  code?: string,
) =>
  state.log.info('request', {
    method: event.httpMethod,
    resource: event.resource,
    status,
    code,
    durationMs: Date.now() - state.startedMs,
  });

/**
 * Wraps a route's use case in the API conventions (middleware first, handler last):
 * `x-request-id` on every response, app authentication, the JSON body rules (413, 415, 400)
 * and problem+json for every error. Only `MfaError`s reach the caller; anything else is
 * logged and answered with a generic 500. Called when the function module loads, it reads the
 * config: a bad setting fails the Lambda init (`ConfigError`), not every request. The
 * function's dependencies are the core and `options.uses` only (`composeDeps`); the returned
 * handler names them in `parts`, and carries its `auth` and `body` schema.
 *
 * @example
 * export const handler = apiHandler(
 *   { auth: 'client', body: stateTokenBody, uses: [clientStore, workflow] },
 *   async (request) => ({ status: 200, body: (await request.deps.workflow.run(input)).body }),
 * );
 */
export const apiHandler = <S extends z.ZodMiniType | undefined = undefined>(
  options: Options<S>,
  useCase: (request: ApiRequest<BodyOf<S>>) => Promise<ApiResult>,
) => {
  serviceConfig();
  const uses = options.uses ?? [];
  if (options.auth === 'client' && !uses.some((part) => part.provides.clients)) {
    throw new Error("apiHandler: auth 'client' needs the clientStore part in uses");
  }
  const deps = composeDeps(uses);
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, StatefulContext>({
    timeoutEarlyInMillis: 0,
  })
    .use({
      before: (request) => {
        const { logger, random } = deps();
        const requestId = request.event.requestContext?.requestId || random.uuid();
        request.context.mfa = {
          requestId,
          log: logger.child({ requestId }),
          startedMs: Date.now(),
          clientId: '',
          body: undefined,
        };
      },
      onError: (request) => {
        const state = request.context.mfa;
        const error = request.error;
        const busy = transientProblem(error);
        if (!(error instanceof MfaError)) {
          const log = state?.log ?? deps().logger;
          if (busy) log.warn('request refused: AWS busy', { error });
          else log.error('unhandled error', { error });
        }
        const problem =
          error instanceof MfaError ? error : (busy ?? new MfaError('internal_error'));
        request.response = problemResponse(problem, state?.requestId ?? 'unknown');
        if (state) accessLog(state, request.event, problem.status, problem.code);
      },
    })
    .use({
      before: async (request) => {
        const state = request.context.mfa;
        if (options.auth === 'client') {
          const { clients, clock, config } = deps();
          const client = await authenticateClient(
            headerValue(request.event, 'authorization'),
            clients,
            clock.now().getTime(),
            config.CLIENT_CACHE_SECONDS,
          );
          state.clientId = client.clientId;
          state.clientPolicy = client.policy ?? config.DEFAULT_POLICY;
          state.log = state.log.child({ clientId: state.clientId });
        }
        if (options.body) state.body = parseJsonBody(request.event, options.body);
      },
    })
    .handler(async (event, context) => {
      const state = context.mfa;
      const result = await useCase({
        event,
        requestId: state.requestId,
        body: state.body as BodyOf<S>,
        clientId: state.clientId,
        clientPolicy: state.clientPolicy,
        pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
        log: state.log,
        deps: deps(),
      });
      const response = jsonResponse(result.status, result.body ?? null, state.requestId);
      response.headers = { ...response.headers, ...result.headers };
      if (result.body === undefined) response.body = '';
      accessLog(state, event, result.status);
      return response;
    });
  // `auth` and `body` are what the API description (shared/openapi/) must say of the route.
  return Object.assign(handler, { parts: deps.parts, auth: options.auth, body: options.body });
};
