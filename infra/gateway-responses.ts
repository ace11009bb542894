import { GatewayResponse, type IRestApi, ResponseType } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { type ErrorCode, errorTable } from '../shared/errors.js';

/**
 * API Gateway's own answers (no route, throttled, WAF block, body too large, anything else
 * before a function runs) as problem+json with the stable `code` and `x-request-id`, like
 * every answer of the service. The authorizer's two types (ACCESS_DENIED, UNAUTHORIZED) are
 * `MfaAuthorizer.addGatewayResponses`'.
 */
const ANSWERS: readonly { type: ResponseType; id: string; code: ErrorCode; status?: string }[] = [
  // An unknown path, or a method a path does not have: API Gateway cannot tell them apart.
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    id: 'NoRoute',
    code: 'not_found',
    status: '404',
  },
  { type: ResponseType.RESOURCE_NOT_FOUND, id: 'NotFound', code: 'not_found', status: '404' },
  { type: ResponseType.THROTTLED, id: 'Throttled', code: 'rate_limited', status: '429' },
  { type: ResponseType.QUOTA_EXCEEDED, id: 'Quota', code: 'rate_limited', status: '429' },
  { type: ResponseType.WAF_FILTERED, id: 'WafFiltered', code: 'access_denied', status: '403' },
  {
    type: ResponseType.REQUEST_TOO_LARGE,
    id: 'TooLarge',
    code: 'payload_too_large',
    status: '413',
  },
  {
    type: ResponseType.UNSUPPORTED_MEDIA_TYPE,
    id: 'MediaType',
    code: 'unsupported_media_type',
    status: '415',
  },
  // The rest keep API Gateway's status.
  { type: ResponseType.DEFAULT_4XX, id: 'Default4xx', code: 'invalid_request' },
  { type: ResponseType.DEFAULT_5XX, id: 'Default5xx', code: 'internal_error' },
];

export const problemTemplate = (code: ErrorCode, status?: string) =>
  JSON.stringify({
    type: 'about:blank',
    title: errorTable[code].title,
    ...(status ? { status: Number(status) } : {}),
    code,
    requestId: '$context.requestId',
  });

export const addProblemResponses = (scope: Construct, api: IRestApi): void => {
  for (const { type, id, code, status } of ANSWERS) {
    new GatewayResponse(scope, `Gateway${id}`, {
      restApi: api,
      type,
      ...(status ? { statusCode: status } : {}),
      responseHeaders: {
        'Content-Type': "'application/problem+json'",
        'Cache-Control': "'no-store'",
        'x-request-id': 'context.requestId',
      },
      templates: { 'application/json': problemTemplate(code, status) },
    });
  }
};
