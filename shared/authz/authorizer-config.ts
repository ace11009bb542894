// zod/mini only: see route-policies.ts for why the authorizer bundle stays small. The
// config module is zod/mini too; it brings the one message format for a bad setting.
import * as z from 'zod/mini';
import { parseConfigSchema } from '../config-parse.js';
import { createLogger, type Logger } from '../log.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { type KeySource, remoteJwksSource } from './jwks-source.js';
import type { AuthorizerDeps } from './request-authorizer.js';
import { createRoutePolicies, defaultMaxAgeSchema, routePoliciesSchema } from './route-policies.js';
import { createMfaTokenVerifier } from './token-verifier.js';

const audiencesSchema = z
  .pipe(
    z.string(),
    z.transform((value): readonly string[] | '*' =>
      value.trim() === '*'
        ? '*'
        : value
            .split(',')
            .map((audience) => audience.trim())
            .filter((audience) => audience.length > 0),
    ),
  )
  .check(z.refine((audiences) => audiences === '*' || audiences.length > 0, 'got no audience'));

/**
 * The authorizer function's environment (set by the `MfaAuthorizer` construct):
 * - `MFA_ISSUER`: the only accepted `iss`
 * - `MFA_AUDIENCES`: accepted `aud` values, comma-separated, or `*` for any registered client
 * - `MFA_JWKS_URL`: the issuer's JWKS endpoint (http or https)
 * - `MFA_ROUTE_POLICIES`: JSON, `{"GET /demo/cats":{"maxAge":60,"acr":"mfa"}}`; unset: `{}`
 * - `MFA_DEFAULT_MAX_AGE_SECONDS`: maxAge of a protected route without an entry; unset: 900
 * - `LOG_LEVEL`: `debug`, `info`, `warn` or `error`; unset: `info`
 */
export const authorizerConfigSchema = z.object({
  MFA_ISSUER: z.string().check(z.minLength(1)),
  MFA_AUDIENCES: audiencesSchema,
  MFA_JWKS_URL: z.url({ protocol: /^https?$/ }),
  MFA_ROUTE_POLICIES: z.optional(routePoliciesSchema),
  MFA_DEFAULT_MAX_AGE_SECONDS: z.optional(defaultMaxAgeSchema),
  LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'),
});

export type AuthorizerConfig = Readonly<z.infer<typeof authorizerConfigSchema>>;

export const DEFAULT_MAX_AGE_SECONDS = 900;

/**
 * Validates and freezes the environment; fails (`ConfigError`) naming each bad variable, what
 * it must be and what is wrong, never its value.
 */
export const parseAuthorizerConfig = (env: Record<string, string | undefined>): AuthorizerConfig =>
  parseConfigSchema(authorizerConfigSchema, env);

export interface AuthorizerOverrides {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Replaces the remote JWKS (local runtime with its key file, tests). */
  readonly keys?: KeySource;
  /** Used by the remote JWKS source. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Reads and validates the authorizer's environment once (a bad variable fails the cold start
 * with its name) and wires the verifier, the JWKS source and the route policies.
 *
 * @example
 * const deps = authorizerDepsFromEnv(process.env);
 */
export const authorizerDepsFromEnv = (
  env: Record<string, string | undefined>,
  overrides: AuthorizerOverrides = {},
): AuthorizerDeps => {
  const config = parseAuthorizerConfig(env);
  const clock = overrides.clock ?? systemClock;
  const now = () => clock.now().getTime();
  const logger =
    overrides.logger ?? createLogger({ service: 'mfa-authorizer', level: config.LOG_LEVEL });
  const keys =
    overrides.keys ??
    remoteJwksSource({ url: config.MFA_JWKS_URL, fetch: overrides.fetch, now, logger });
  return {
    verifier: createMfaTokenVerifier({
      issuer: config.MFA_ISSUER,
      audiences: config.MFA_AUDIENCES,
      keys,
      now,
    }),
    policies: createRoutePolicies(
      config.MFA_ROUTE_POLICIES ?? {},
      config.MFA_DEFAULT_MAX_AGE_SECONDS ?? DEFAULT_MAX_AGE_SECONDS,
    ),
    clock,
    logger,
  };
};
