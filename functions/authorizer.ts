import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorizerDepsFromEnv } from '../shared/authz/authorizer-config.js';
import {
  type AuthorizerHandler,
  createAuthorizerHandler,
} from '../shared/authz/request-authorizer.js';

export { createAuthorizerHandler };

let built: AuthorizerHandler | undefined;

/**
 * API Gateway REST REQUEST authorizer for MFA-protected routes (`MfaAuthorizer` construct).
 * Built from the environment on the first call and reused while the function is warm, so
 * the JWKS and the verified-token cache survive between requests.
 */
export const handler: AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => {
  built ??= createAuthorizerHandler(authorizerDepsFromEnv(process.env));
  return built(event);
};
