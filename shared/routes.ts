/**
 * The one route table. The CDK stack builds one API Gateway method per entry and the local
 * runtime serves exactly these routes with the same handler modules (`functions/<handler>.ts`).
 */
export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface Route {
  readonly method: HttpMethod;
  /** API Gateway resource path; `{name}` marks a path parameter. */
  readonly path: string;
  /** Module name under `functions/`, exporting `handler`. */
  readonly handler: string;
  /**
   * `none`: public; `client`: HTTP Basic app credentials (checked in the handler); `mfa`: an
   * MFA token checked by the MFA authorizer before the handler runs.
   */
  readonly auth: 'none' | 'client' | 'mfa';
  /** `mfa` routes: the MFA must be at most this old (seconds). @default the authorizer's (900) */
  readonly maxAge?: number;
  /** `mfa` routes: the `acr` the token must carry. */
  readonly acr?: string;
  /**
   * The handler applies the deployment's `DEFAULT_POLICY` to apps without a policy of their
   * own (start decides with it; factor changes read its `emailIsPossession`): only these
   * functions get that setting (the others would parse it at every cold start).
   */
  readonly defaultPolicy?: true;
}

export const routes: readonly Route[] = [
  { method: 'GET', path: '/health', handler: 'health', auth: 'none' },
  { method: 'GET', path: '/.well-known/jwks.json', handler: 'well-known-jwks', auth: 'none' },
  {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    handler: 'well-known-openid',
    auth: 'none',
  },
  {
    method: 'POST',
    path: '/v1/authn',
    handler: 'authn-start',
    auth: 'client',
    defaultPolicy: true,
  },
  {
    method: 'POST',
    path: '/v1/authn/factors/{factorId}/challenge',
    handler: 'authn-challenge',
    auth: 'client',
  },
  {
    method: 'POST',
    path: '/v1/authn/factors/{factorId}/verify',
    handler: 'authn-verify',
    auth: 'client',
  },
  { method: 'POST', path: '/v1/authn/cancel', handler: 'authn-cancel', auth: 'client' },
  { method: 'POST', path: '/v1/authn/status', handler: 'authn-status', auth: 'client' },
  {
    method: 'POST',
    path: '/v1/users/{userId}/factors',
    handler: 'factors-enroll',
    auth: 'client',
    defaultPolicy: true,
  },
  { method: 'GET', path: '/v1/users/{userId}/factors', handler: 'factors-list', auth: 'client' },
  {
    method: 'POST',
    path: '/v1/users/{userId}/factors/{factorId}/activate',
    handler: 'factors-activate',
    auth: 'client',
    defaultPolicy: true,
  },
  {
    method: 'POST',
    path: '/v1/users/{userId}/factors/{factorId}/resend',
    handler: 'factors-resend',
    auth: 'client',
    defaultPolicy: true,
  },
  {
    method: 'DELETE',
    path: '/v1/users/{userId}/factors/{factorId}',
    handler: 'factors-delete',
    auth: 'client',
    defaultPolicy: true,
  },
  // Trusted beneficiaries (API.md v1.1, PSD2 RTS Art. 13).
  {
    method: 'GET',
    path: '/v1/users/{userId}/trusted-payees',
    handler: 'trusted-payees-list',
    auth: 'client',
  },
  {
    method: 'POST',
    path: '/v1/users/{userId}/trusted-payees',
    handler: 'trusted-payees-add',
    auth: 'client',
  },
  {
    method: 'DELETE',
    path: '/v1/users/{userId}/trusted-payees/{payeeAccount}',
    handler: 'trusted-payees-remove',
    auth: 'client',
  },
  // The cats-and-dogs demo of the MFA authorizer (API.md).
  { method: 'GET', path: '/demo', handler: 'demo', auth: 'none' },
  { method: 'GET', path: '/demo/dogs', handler: 'demo', auth: 'mfa' },
  { method: 'GET', path: '/demo/cats', handler: 'demo', auth: 'mfa', maxAge: 60 },
  // Strong Customer Authentication: two categories, max age as /demo/dogs (API.md v1.1).
  { method: 'GET', path: '/demo/payments', handler: 'demo', auth: 'mfa', acr: 'sca' },
  // The OpenAPI 3.1 description of this table (API.md v1.1 "Description"): shared/openapi/.
  { method: 'GET', path: '/openapi.json', handler: 'openapi', auth: 'none' },
];

export interface RouteMatch {
  readonly route: Route;
  readonly pathParameters: Record<string, string>;
}

export interface Router {
  /**
   * The route for a method and path. No `match` with `pathKnown` true: the path exists under
   * another method (405); both unset: no such path (404), also for a dot segment (`..`,
   * `%2E%2E`). A parameter whose %-encoding is malformed is passed as sent, for the handler's
   * validation to refuse (400 naming it).
   */
  match(method: string, path: string): { match?: RouteMatch; pathKnown: boolean };
  /** Methods served on a path, for the `Allow` header of a 405. */
  allowedMethods(path: string): HttpMethod[];
}

const decodedSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

export const createRouter = (table: readonly Route[]): Router => {
  const compiled = table.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split('/')
      .map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment);
        if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(param[1] as string);
        return '([^/]+)';
      })
      .join('/');
    return { route, names, pattern: new RegExp(`^${source}$`) };
  });
  return {
    match: (method, path) => {
      let pathKnown = false;
      for (const { route, names, pattern } of compiled) {
        const found = pattern.exec(path);
        if (!found) continue;
        pathKnown = true;
        if (route.method !== method) continue;
        const values = names.map((_, index) => decodedSegment(found[index + 1] ?? ''));
        // A dot segment, even %-encoded (RFC 3986 §6.2.2.2), names no resource here: 404.
        if (values.some((value) => value === '.' || value === '..')) return { pathKnown: false };
        const pathParameters = Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
        return { match: { route, pathParameters }, pathKnown };
      }
      return { pathKnown };
    },
    allowedMethods: (path) =>
      compiled.filter(({ pattern }) => pattern.test(path)).map(({ route }) => route.method),
  };
};

export const router = createRouter(routes);

/** Whether a handler applies the deployment's `DEFAULT_POLICY` (a route of it says so). */
export const appliesDefaultPolicy = (handler: string): boolean =>
  routes.some((route) => route.handler === handler && route.defaultPolicy === true);
