import { Duration, Lazy, Validations } from 'aws-cdk-lib';
import {
  AuthorizationType,
  type CfnAuthorizer,
  GatewayResponse,
  type Integration,
  type IResource,
  type IRestApi,
  type Method,
  RequestAuthorizer,
  ResponseType,
} from 'aws-cdk-lib/aws-apigateway';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INVALID_TOKEN_CHALLENGE, type RoutePolicy } from '../shared/authz/recency.js';
import { readRoutePolicy } from '../shared/authz/route-policies.js';
import { CLIENT_ID } from '../shared/domain/client-secret.js';
import { MfaFunction } from './mfa-function.js';

export interface MfaAuthorizerProps {
  /** The only accepted `iss` of MFA tokens (the MFA service's issuer URL). */
  readonly issuer: string;
  /**
   * The issuer's JWKS endpoint (`/.well-known/jwks.json`). When the issuer is served by the
   * same RestApi, build both URLs from `api.restApiId` (`https://${id}.execute-api.${region}.
   * ${urlSuffix}/${stage}/`), not from `api.url`: that names the stage, which depends on the
   * protected methods, which depend on this function: a dependency cycle.
   */
  readonly jwksUrl: string;
  /**
   * Accepted `aud` values: the client ids of the apps whose users this API serves. Required:
   * a token names its user by the app's own user id (`sub`), so a token issued to another app
   * of the same MFA service, for a user of that app with the same id, would otherwise pass.
   * `'*'` accepts every app's tokens: only for an API every registered app's users share
   * one id space with (or a single-app service).
   */
  readonly audiences: readonly string[] | '*';
  /**
   * `maxAge` of a protected method whose options give none.
   * @default Duration.minutes(15)
   */
  readonly defaultMaxAge?: Duration;
  /** @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** Concurrency reserved for the authorizer function. @default - none */
  readonly reservedConcurrency?: number;
  /** Pre-initialised environments of the authorizer function. @default - none */
  readonly provisionedConcurrency?: number;
}

export interface ProtectedMethodOptions {
  /**
   * How long ago the user may have passed MFA (`auth_time`) for this method.
   * @default - the authorizer's `defaultMaxAge`
   */
  readonly maxAge?: Duration;
  /**
   * The levels the route accepts, space-separated `acr` values: `mfa` (also met by `sca`),
   * `sca` (two SCA categories), `exempt` (a policy exemption, only where listed), e.g.
   * `'sca exempt'`. Refused tokens get the RFC 9470 challenge with `acr_values`.
   * @default 'mfa'
   */
  readonly acr?: string;
}

/** `MFA_AUDIENCES` from the `audiences` prop; a list without a usable client id fails the synth. */
const audiencesSetting = (audiences: readonly string[] | '*'): string => {
  if (audiences === '*') return '*';
  const bad = audiences.find((id) => !CLIENT_ID.test(id));
  if (audiences.length === 0 || bad !== undefined) {
    throw new Error(
      `MfaAuthorizer: audiences must list the accepted client ids, or be '*' (got ${JSON.stringify(audiences)})`,
    );
  }
  return audiences.join(',');
};

/** Problem+json body for a refusal (RFC 9457), `code` taken from the authorizer's context. */
const PROBLEM_TEMPLATE = [
  '#set($code = "$!context.authorizer.error")',
  '#if($code == "")#set($code = "invalid_token")#end',
  '#if($code == "insufficient_user_authentication")#set($title = "Insufficient user authentication")#else#set($title = "Invalid token")#end',
  // A step-up refusal (RFC 9470) carries why and the route's max age, set by the authorizer.
  '#set($detail = "$!context.authorizer.detail")',
  '#if($detail == "")#set($detail = $title)#end',
  '#set($maxAge = "$!context.authorizer.maxAge")',
  '{"type":"about:blank","title":"$title","status":401,"code":"$code","detail":"$detail",#if($maxAge != "")"maxAge":$maxAge,#end"requestId":"$context.requestId"}',
].join('\n');

/**
 * An API Gateway REST REQUEST authorizer demanding a valid MFA token, recent enough for each
 * protected method (RFC 9470), plus the gateway responses that carry its `WWW-Authenticate`
 * challenges to the caller.
 *
 * @example
 * const mfa = new MfaAuthorizer(this, 'Mfa', { issuer, jwksUrl, audiences: ['payments-app'] });
 * mfa.addProtectedMethod(api.root.resourceForPath('/demo/cats'), 'GET', integration, {
 *   maxAge: Duration.seconds(60),
 * });
 * mfa.addGatewayResponses(api);
 */
export class MfaAuthorizer extends Construct {
  readonly function: MfaFunction;
  readonly authorizer: RequestAuthorizer;
  private readonly policies = new Map<string, RoutePolicy>();
  private readonly defaultMaxAge: Duration;
  private responsesAdded = false;

  constructor(scope: Construct, id: string, props: MfaAuthorizerProps) {
    super(scope, id);
    this.defaultMaxAge = props.defaultMaxAge ?? Duration.minutes(15);
    this.function = new MfaFunction(this, 'Function', {
      handler: 'authorizer',
      // Verifying takes well under a millisecond; only a JWKS fetch (3 s timeout) waits.
      timeout: Duration.seconds(5),
      logRetention: props.logRetention,
      reservedConcurrency: props.reservedConcurrency,
      provisionedConcurrency: props.provisionedConcurrency,
      environment: {
        MFA_ISSUER: props.issuer,
        MFA_JWKS_URL: props.jwksUrl,
        MFA_AUDIENCES: audiencesSetting(props.audiences),
        MFA_DEFAULT_MAX_AGE_SECONDS: String(this.defaultMaxAge.toSeconds()),
        MFA_ROUTE_POLICIES: Lazy.string({
          produce: () => JSON.stringify(Object.fromEntries(this.policies)),
        }),
        LOG_LEVEL: props.logLevel ?? 'info',
      },
    });

    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: this.function.entrypoint,
      // No result cache: API Gateway would replay a decision for its whole TTL, so a token
      // that went stale (auth_time older than maxAge) or expired would still get through.
      resultsCacheTtl: Duration.seconds(0),
      // No identity sources (allowed only without a cache): with `header('Authorization')`,
      // API Gateway may answer a request lacking the header itself, a 401 the function never
      // sees. Without, every request reaches the function and every refusal takes one path: a
      // Deny carrying its challenge. The UNAUTHORIZED response below covers the gateway's own
      // 401 anyway (a thrown "Unauthorized", or identity sources added later).
      identitySources: [],
    });
    // CDK writes the empty list as `IdentitySource: ""`; leave the optional property out.
    (this.authorizer.node.defaultChild as CfnAuthorizer).addPropertyDeletionOverride(
      'IdentitySource',
    );
  }

  /**
   * Adds `httpMethod` on `resource` behind this authorizer and records its policy
   * (`"GET /demo/cats": { maxAge, acr }`) in the function's `MFA_ROUTE_POLICIES`.
   */
  addProtectedMethod(
    resource: IResource,
    httpMethod: string,
    integration: Integration,
    options: ProtectedMethodOptions = {},
  ): Method {
    const key = `${httpMethod.toUpperCase()} ${resource.path}`;
    if (this.policies.has(key)) throw new Error(`MfaAuthorizer already protects ${key}`);
    // Checked here with the function's own reader, so a bad value fails the synth, not a cold start.
    const policy = readRoutePolicy({
      maxAge: (options.maxAge ?? this.defaultMaxAge).toSeconds(),
      ...(options.acr === undefined ? {} : { acr: options.acr }),
    });
    if (!('ok' in policy)) throw new Error(`Invalid MFA policy for ${key}: ${policy.problem}`);
    this.policies.set(key, policy.value);
    const method = resource.addMethod(httpMethod, integration, {
      authorizer: this.authorizer,
      authorizationType: AuthorizationType.CUSTOM,
    });
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers present MFA tokens (ES256 JWTs of the MFA service), verified by this Lambda REQUEST authorizer with RFC 9470 recency; there is no Cognito user pool in this design.',
    });
    return method;
  }

  /**
   * Turns the authorizer's refusals into RFC 6750 / RFC 9470 answers on `api` (call once):
   * ACCESS_DENIED (a Deny) becomes 401 with the challenge from the authorizer's context and a
   * problem+json body; UNAUTHORIZED (API Gateway's own 401) gets the invalid_token challenge.
   * An API has one response per type: don't define these two elsewhere on the same API.
   */
  addGatewayResponses(api: IRestApi): void {
    if (this.responsesAdded) throw new Error('MfaAuthorizer gateway responses already added');
    this.responsesAdded = true;
    const common = {
      'Content-Type': "'application/problem+json'",
      'Cache-Control': "'no-store'",
      'x-request-id': 'context.requestId',
    };
    new GatewayResponse(this, 'AccessDenied', {
      restApi: api,
      type: ResponseType.ACCESS_DENIED,
      statusCode: '401',
      responseHeaders: { ...common, 'WWW-Authenticate': 'context.authorizer.wwwAuthenticate' },
      templates: { 'application/json': PROBLEM_TEMPLATE },
    });
    new GatewayResponse(this, 'Unauthorized', {
      restApi: api,
      type: ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: { ...common, 'WWW-Authenticate': `'${INVALID_TOKEN_CHALLENGE}'` },
      templates: { 'application/json': PROBLEM_TEMPLATE },
    });
  }
}
