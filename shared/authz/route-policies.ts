// zod/mini, not the classic `zod` entry: the same validators at ~20 KB instead of ~450 KB in
// the authorizer bundle, which runs (and cold-starts) in front of every protected request.
import * as z from 'zod/mini';
import type { RoutePolicy } from './recency.js';

/** `"GET /demo/cats"`: an HTTP method, one space, an API Gateway resource path. */
const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/[A-Za-z0-9._~{}+/-]*$/;
/** Space-separated `acr` values (RFC 9470 `acr_values`), in a quoted-string: no quotes or backslashes. */
const ACR_VALUE = /^[A-Za-z0-9._:/-]{1,64}( [A-Za-z0-9._:/-]{1,64}){0,4}$/;
/** A day: beyond that "recent authentication" means nothing. */
const MAX_AGE_LIMIT_SECONDS = 86_400;

export const routePolicySchema = z.strictObject({
  maxAge: z.number().check(z.int(), z.minimum(0), z.maximum(MAX_AGE_LIMIT_SECONDS)),
  acr: z.optional(z.string().check(z.regex(ACR_VALUE))),
});

/** The value of `MFA_ROUTE_POLICIES`: JSON, keyed by `"METHOD /resource/path"`. */
export const routePoliciesSchema = z.pipe(
  z.pipe(
    z.string(),
    z.transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.issues.push({ code: 'custom', message: 'not JSON', input: text });
        return z.NEVER;
      }
    }),
  ),
  z.record(z.string().check(z.regex(ROUTE_KEY)), routePolicySchema),
);

/** `MFA_DEFAULT_MAX_AGE_SECONDS`: whole seconds, digits only (an empty value is an error, not 0). */
export const defaultMaxAgeSchema = z.pipe(
  z.pipe(z.string().check(z.regex(/^\d{1,6}$/)), z.transform(Number)),
  z.number().check(z.maximum(MAX_AGE_LIMIT_SECONDS)),
);

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

/**
 * Parses `MFA_ROUTE_POLICIES` and `MFA_DEFAULT_MAX_AGE_SECONDS` values (unset: no per-route
 * entries, 900 s). Throws naming the variable, never echoing its value.
 */
export const parseRoutePolicies = (
  policiesJson: string | undefined,
  defaultMaxAgeSeconds: string | undefined = '900',
): RoutePolicies => {
  const entries = routePoliciesSchema.safeParse(policiesJson ?? '{}');
  if (!entries.success) throw new Error('Invalid configuration: MFA_ROUTE_POLICIES');
  const fallback = defaultMaxAgeSchema.safeParse(defaultMaxAgeSeconds);
  if (!fallback.success) throw new Error('Invalid configuration: MFA_DEFAULT_MAX_AGE_SECONDS');
  return createRoutePolicies(entries.data, fallback.data);
};
