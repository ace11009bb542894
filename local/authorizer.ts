import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { authorizerDepsFromEnv } from '../shared/authz/authorizer-config.js';
import { createAuthorizerHandler } from '../shared/authz/request-authorizer.js';
import { isErrorCode, MfaError } from '../shared/errors.js';
import { problemResponse } from '../shared/http/problem.js';
import type { Logger } from '../shared/log.js';
import type { Clock } from '../shared/ports/clock.js';

export type LocalAuthorizer = (
  event: APIGatewayProxyEvent,
) => Promise<
  | { allowed: true; context: Record<string, unknown> }
  | { allowed: false; response: APIGatewayProxyResult }
>;

/**
 * The local stand-in for API Gateway's REQUEST authorizer step: the same authorizer code, fed
 * the event API Gateway would send; a Deny becomes the 401 the stack's gateway response
 * makes (problem+json, `WWW-Authenticate` from the authorizer's context).
 */
export const createLocalAuthorizer = (
  env: Record<string, string | undefined>,
  logger: Logger,
  clock?: Clock,
): LocalAuthorizer => {
  const authorize = createAuthorizerHandler(authorizerDepsFromEnv(env, { logger, clock }));
  return async (event) => {
    const request: APIGatewayRequestAuthorizerEvent = {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:us-east-1:000000000000:local/local/${event.httpMethod}${event.resource}`,
      resource: event.resource,
      path: event.path,
      httpMethod: event.httpMethod,
      headers: event.headers,
      multiValueHeaders: event.multiValueHeaders,
      pathParameters: event.pathParameters,
      queryStringParameters: event.queryStringParameters,
      multiValueQueryStringParameters: event.multiValueQueryStringParameters,
      stageVariables: event.stageVariables,
      requestContext: { ...event.requestContext, authorizer: undefined },
    };
    const result: APIGatewayAuthorizerResult = await authorize(request);
    const context = (result.context ?? {}) as Record<string, unknown>;
    const allowed = result.policyDocument.Statement.every(
      (statement) => 'Effect' in statement && statement.Effect === 'Allow',
    );
    if (allowed) return { allowed: true, context: { principalId: result.principalId, ...context } };
    const code = isErrorCode(context.error) ? context.error : 'invalid_token';
    // As the gateway response template renders it: a step-up refusal names its max age.
    const stepUp =
      code === 'insufficient_user_authentication' && typeof context.maxAge === 'number';
    const error = stepUp
      ? new MfaError(code, String(context.detail ?? ''), { maxAge: context.maxAge as number })
      : new MfaError(code);
    const response = problemResponse(error, event.requestContext.requestId);
    response.headers = {
      ...response.headers,
      'www-authenticate': String(context.wwwAuthenticate ?? 'Bearer error="invalid_token"'),
    };
    return { allowed: false, response };
  };
};
