import type {
  APIGatewayAuthorizerResult,
  APIGatewayAuthorizerResultContext,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { authenticatedAt } from '../domain/mfa-token.js';
import type { Logger } from '../log.js';
import { type Clock, epochSeconds } from '../ports/clock.js';
import { checkRecency, INVALID_TOKEN_CHALLENGE } from './recency.js';
import type { RoutePolicies } from './route-policies.js';
import { InvalidTokenError, type MfaTokenVerifier } from './token-verifier.js';

export interface AuthorizerDeps {
  readonly verifier: MfaTokenVerifier;
  readonly policies: RoutePolicies;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The `error` the gateway response puts in the problem+json `code`. */
export type AuthorizerError = 'invalid_token' | 'insufficient_user_authentication';

export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

const BEARER = /^Bearer +([A-Za-z0-9._-]+) *$/i;

/**
 * The `Authorization` header, looked up case-insensitively. Sent twice, the request is
 * ambiguous (which one would the backend see?) and counts as no token.
 */
const authorizationHeader = (event: APIGatewayRequestAuthorizerEvent): string | undefined => {
  const values: string[] = [];
  for (const [name, value] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'authorization' && value) values.push(...value);
  }
  if (values.length > 1) return undefined;
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'authorization') return value;
  }
  return undefined;
};

const policy = (
  principalId: string,
  effect: 'Allow' | 'Deny',
  methodArn: string,
  context: APIGatewayAuthorizerResultContext,
): APIGatewayAuthorizerResult => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }],
  },
  context,
});

/**
 * The API Gateway REST REQUEST authorizer for MFA-protected routes. It never throws for a
 * bad request: a thrown "Unauthorized" cannot carry a `WWW-Authenticate` challenge, so every
 * refusal is a Deny whose context holds the challenge and error code for the ACCESS_DENIED
 * gateway response (see `infra/mfa-authorizer.ts`). Each decision is one log line with the
 * reason and route, never the token.
 *
 * Allow context: `sub`, `clientId` (`aud`), `txn`, `authTime` (epoch seconds), `acr`, and
 * `amr` joined with spaces (context values must be scalars).
 */
export const createAuthorizerHandler = (deps: AuthorizerDeps): AuthorizerHandler => {
  return async (event) => {
    const route = `${event.httpMethod} ${event.resource}`;
    const log = deps.logger.child({ requestId: event.requestContext?.requestId, route });
    const deny = (
      error: AuthorizerError,
      reason: string,
      wwwAuthenticate: string,
      stepUp?: { txn: string; maxAge: number; detail: string },
    ) => {
      log.info('authorizer decision', { decision: 'Deny', reason, txn: stepUp?.txn });
      // A step-up refusal also tells the problem body its max age and why (RFC 9470).
      const more = stepUp ? { maxAge: stepUp.maxAge, detail: stepUp.detail } : {};
      return policy('anonymous', 'Deny', event.methodArn, { wwwAuthenticate, error, ...more });
    };

    const token = BEARER.exec(authorizationHeader(event) ?? '')?.[1];
    if (!token) return deny('invalid_token', 'missing', INVALID_TOKEN_CHALLENGE);

    let claims: Awaited<ReturnType<MfaTokenVerifier['verify']>>;
    try {
      claims = await deps.verifier.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        return deny('invalid_token', error.reason, INVALID_TOKEN_CHALLENGE);
      }
      // A fault of ours (not the caller's) still fails closed, and is logged as such.
      log.error('authorizer fault', { error });
      return deny('invalid_token', 'internal', INVALID_TOKEN_CHALLENGE);
    }

    const routePolicy = deps.policies.policyFor(event.httpMethod, event.resource);
    const recency = checkRecency(claims, routePolicy, epochSeconds(deps.clock.now()));
    if (!recency.ok) {
      return deny('insufficient_user_authentication', recency.reason, recency.wwwAuthenticate, {
        txn: claims.txn,
        maxAge: routePolicy.maxAge,
        detail: recency.description,
      });
    }

    log.info('authorizer decision', { decision: 'Allow', reason: 'ok', txn: claims.txn });
    return policy(claims.sub, 'Allow', event.methodArn, {
      sub: claims.sub,
      clientId: claims.aud,
      txn: claims.txn,
      authTime: authenticatedAt(claims),
      acr: claims.acr,
      amr: (claims.amr ?? []).join(' '),
    });
  };
};
