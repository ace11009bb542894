// No schema library: this is what the authorizer loads, and its cold start is in front of
// every protected request (zod cost it ~8 ms). The same readers check a route's policy at
// synth (`MfaAuthorizer.addProtectedMethod`), so a bad one fails there, not at a cold start.
import { custom, int, type Reading } from '../settings.js';
import type { RoutePolicy } from './recency.js';

/** `"GET /demo/cats"`: an HTTP method, one space, an API Gateway resource path. */
const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/[A-Za-z0-9._~{}+/-]*$/;
/** Space-separated `acr` values (RFC 9470 `acr_values`), in a quoted-string: no quotes or backslashes. */
const ACR_VALUE = /^[A-Za-z0-9._:/-]{1,64}( [A-Za-z0-9._:/-]{1,64}){0,4}$/;
/** A day: beyond that "recent authentication" means nothing. */
export const MAX_AGE_LIMIT_SECONDS = 86_400;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One route's policy, `{ "maxAge": 0–86400, "acr"?: "mfa sca" }` and nothing else, or what is
 * wrong with it (never the value).
 */
export const readRoutePolicy = (value: unknown): Reading<RoutePolicy> => {
  if (!isRecord(value)) return { problem: 'is not an object' };
  const unknown = Object.keys(value).filter((name) => name !== 'maxAge' && name !== 'acr');
  if (unknown.length > 0) return { problem: `has a member other than maxAge and acr` };
  const { maxAge, acr } = value;
  if (
    !Number.isSafeInteger(maxAge) ||
    (maxAge as number) < 0 ||
    (maxAge as number) > MAX_AGE_LIMIT_SECONDS
  )
    return { problem: `maxAge is not an integer from 0 to ${MAX_AGE_LIMIT_SECONDS}` };
  if (acr === undefined) return { ok: true, value: { maxAge: maxAge as number } };
  if (typeof acr !== 'string' || !ACR_VALUE.test(acr))
    return { problem: `acr is not text matching ${ACR_VALUE}` };
  return { ok: true, value: { maxAge: maxAge as number, acr } };
};

/** `MFA_ROUTE_POLICIES`: JSON, keyed by `"METHOD /resource/path"`, each a route's policy. */
export const routePoliciesSetting = custom((raw): Reading<Record<string, RoutePolicy>> => {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { problem: 'got a value that is not JSON' };
  }
  if (!isRecord(value)) return { problem: 'got JSON that is not an object' };
  const entries: Record<string, RoutePolicy> = {};
  for (const [key, policy] of Object.entries(value)) {
    if (!ROUTE_KEY.test(key)) return { problem: `got a key not matching ${ROUTE_KEY}` };
    const read = readRoutePolicy(policy);
    if (!('ok' in read)) return { problem: `${key}: ${read.problem}` };
    entries[key] = read.value;
  }
  return { ok: true, value: entries };
}, 'a JSON object of "METHOD /path": { "maxAge": seconds, "acr"?: values }');

/** `MFA_DEFAULT_MAX_AGE_SECONDS`: whole seconds in decimal digits (empty is an error, not 0). */
export const maxAgeSetting = int(0, MAX_AGE_LIMIT_SECONDS);

export interface RoutePolicies {
  /** The policy of a route; `ANY` entries match every method; else the default `maxAge`. */
  policyFor(method: string, resource: string): RoutePolicy;
}

/**
 * Builds the lookup from validated entries. Unknown routes get the default `maxAge` rather
 * than no check at all: a route reaches the authorizer only because it is protected.
 *
 * @example
 * const policies = createRoutePolicies({ 'GET /demo/cats': { maxAge: 60 } }, 900);
 * policies.policyFor('GET', '/demo/cats'); // { maxAge: 60 }
 */
export const createRoutePolicies = (
  entries: Readonly<Record<string, RoutePolicy>>,
  defaultMaxAgeSeconds: number,
): RoutePolicies => {
  const table = new Map<string, RoutePolicy>(
    Object.entries(entries).map(([key, policy]) => [key, Object.freeze({ ...policy })]),
  );
  const fallback: RoutePolicy = Object.freeze({ maxAge: defaultMaxAgeSeconds });
  return {
    policyFor: (method, resource) =>
      table.get(`${method.toUpperCase()} ${resource}`) ?? table.get(`ANY ${resource}`) ?? fallback,
  };
};
