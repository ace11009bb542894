import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorizerDepsFromEnv } from '../shared/authz/authorizer-config.js';
import {
  type AuthorizerHandler,
  createAuthorizerHandler,
} from '../shared/authz/request-authorizer.js';

export { createAuthorizerHandler };

const fromEnvironment = () => createAuthorizerHandler(authorizerDepsFromEnv(process.env));

// In Lambda the handler is built during init: a bad setting fails the cold start with its
// name, range and problem (`ConfigError`) instead of failing every request. Elsewhere (unit
// tests import `createAuthorizerHandler` from here with no environment) on the first call.
let built: AuthorizerHandler | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? fromEnvironment()
  : undefined;

/**
 * API Gateway REST REQUEST authorizer for MFA-protected routes (`MfaAuthorizer` construct).
 * Built from the environment once and reused while the function is warm, so the JWKS and the
 * verified-token cache survive between requests.
 */
export const handler: AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => {
  built ??= fromEnvironment();
  return built(event);
};
