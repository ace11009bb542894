import { type JsonValue, MfaApiError } from './errors.js';

/** RFC 9457's own members, and the two the service adds to every problem. */
const CORE_MEMBERS = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'requestId',
]);

export type JsonObject = Record<string, JsonValue>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The parsed body; undefined when it is not JSON. */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The request id of an answer: the service's `x-request-id`, else API Gateway's own. */
export const requestIdOf = (headers: Headers): string | undefined =>
  headers.get('x-request-id') ??
  headers.get('x-amzn-requestid') ??
  headers.get('apigw-requestid') ??
  undefined;

/** `Retry-After` in seconds: delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
export const retryAfterSeconds = (value: string | null, nowMs: number): number | undefined => {
  const text = value?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number(text);
  const atMs = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(atMs) ? undefined : Math.max(0, Math.ceil((atMs - nowMs) / 1000));
};

/**
 * The error of a non-2xx answer: its problem document's members, with the status, request
 * id, `Retry-After` and `WWW-Authenticate` of the response. An answer without a problem
 * document (an HTML page of a proxy, say) is `invalid_response` with the status it had.
 */
export const problemError = (response: Response, text: string, nowMs: number): MfaApiError => {
  const { headers, status } = response;
  const body = parseJson(text);
  const common = {
    status,
    requestId: requestIdOf(headers),
    retryAfter: retryAfterSeconds(headers.get('retry-after'), nowMs),
    // API Gateway (REST, Lambda proxy) renames a function's WWW-Authenticate to this.
    wwwAuthenticate:
      headers.get('www-authenticate') ??
      headers.get('x-amzn-remapped-www-authenticate') ??
      undefined,
  };
  if (!isJsonObject(body) || typeof body.code !== 'string' || body.code === '') {
    const type = headers.get('content-type')?.split(';')[0] || 'no content type';
    return new MfaApiError({
      ...common,
      code: 'invalid_response',
      detail: `HTTP ${status} without a problem document (${type})`,
    });
  }
  const title = typeof body.title === 'string' ? body.title : undefined;
  const detail = typeof body.detail === 'string' && body.detail ? body.detail : title;
  return new MfaApiError({
    ...common,
    code: body.code,
    detail: detail ?? `HTTP ${status}`,
    title,
    requestId:
      typeof body.requestId === 'string' && body.requestId ? body.requestId : common.requestId,
    extras: Object.fromEntries(Object.entries(body).filter(([name]) => !CORE_MEMBERS.has(name))),
  });
};
