import { createLogger, type Logger } from '../log.js';
import { type Clock, systemClock } from '../ports/clock.js';
import {
  type ConfigOf,
  custom,
  httpUrl,
  oneOf,
  optional,
  parseSettings,
  type Reading,
  required,
  text,
  withDefault,
} from '../settings.js';
import { type KeySource, remoteJwksSource } from './jwks-source.js';
import type { AuthorizerDeps } from './request-authorizer.js';
import { createRoutePolicies, maxAgeSetting, routePoliciesSetting } from './route-policies.js';
import { createMfaTokenVerifier } from './token-verifier.js';

export const DEFAULT_MAX_AGE_SECONDS = 900;

/** Comma-separated `aud` values (trimmed, empty ones dropped), or `*`. */
const audiences = custom((raw): Reading<readonly string[] | '*'> => {
  if (raw.trim() === '*') return { ok: true, value: '*' };
  const list = raw
    .split(',')
    .map((audience) => audience.trim())
    .filter((audience) => audience.length > 0);
  return list.length > 0
    ? { ok: true, value: Object.freeze(list) }
    : { problem: 'got no audience' };
}, 'a comma-separated list of audiences, or *');

/**
 * The authorizer function's environment (set by the `MfaAuthorizer` construct), a table of
 * settings as the service's (`settings.ts`): no schema library in front of every protected
 * request.
 */
export const authorizerSettings = {
  MFA_ISSUER: required(text(1), 'The only accepted `iss`'),
  MFA_AUDIENCES: required(
    audiences,
    'Accepted `aud` values, comma-separated, or `*` for any registered client',
  ),
  MFA_JWKS_URL: required(httpUrl(), "The issuer's JWKS endpoint (http or https)"),
  MFA_ROUTE_POLICIES: optional(
    routePoliciesSetting,
    'JSON `{"GET /demo/cats":{"maxAge":60,"acr":"mfa"}}`; unset: `{}`',
  ),
  MFA_DEFAULT_MAX_AGE_SECONDS: withDefault(
    maxAgeSetting,
    DEFAULT_MAX_AGE_SECONDS,
    '`maxAge` of a protected route without an entry',
  ),
  LOG_LEVEL: withDefault(oneOf(['debug', 'info', 'warn', 'error']), 'info', 'Log level'),
};

export type AuthorizerConfig = ConfigOf<typeof authorizerSettings>;

/**
 * Validates and freezes the environment; fails (`ConfigError`) naming each bad variable, what
 * it must be and what is wrong, never its value.
 */
export const parseAuthorizerConfig = (env: Record<string, string | undefined>): AuthorizerConfig =>
  parseSettings(authorizerSettings, env);

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
      config.MFA_DEFAULT_MAX_AGE_SECONDS,
    ),
    clock,
    logger,
  };
};
