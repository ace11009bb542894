import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig, type ServiceConfig, serviceConfigSchema } from './config.js';
import type { Workflow } from './flow.js';
import { createLogger, type Logger } from './log.js';
import { type Clock, systemClock } from './ports/clock.js';
import type { ConsentChecker } from './ports/consent.js';
import type { EventPublisher } from './ports/events.js';
import type { Messenger } from './ports/messenger.js';
import type { PasskeyRegistrar } from './ports/passkeys.js';
import { cryptoRandom, type Random } from './ports/random.js';
import type { OtpKeyProvider, SecretBox } from './ports/secret-box.js';
import type { TokenSigner } from './ports/signer.js';
import type {
  AuditStore,
  ClientStore,
  FactorStore,
  PolicyStateStore,
  RateLimiter,
  TransactionStore,
} from './ports/store.js';

/**
 * What use cases are given. Every function composes its own (`composeDeps`): the core
 * (config, logger, clock, random: no AWS SDK) and only the parts it lists, each from one
 * module under `shared/compose/` that imports one AWS client. So a function loads the SDK
 * clients it uses and no other; a part it did not list throws, naming the part, when touched.
 * This module imports no SDK client: nothing imports a container of every client.
 */
export interface Deps {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  readonly ddb: DynamoDBClient;
  readonly clients: ClientStore;
  readonly factors: FactorStore;
  readonly transactions: TransactionStore;
  readonly policyStates: PolicyStateStore;
  readonly audits: AuditStore;
  readonly rates: RateLimiter;
  readonly workflow: Workflow;
  readonly messenger: Messenger;
  readonly events: EventPublisher;
  readonly secretBox: SecretBox;
  readonly otpKeys: OtpKeyProvider;
  readonly signer: TokenSigner;
  readonly consents: ConsentChecker;
  readonly passkeys: PasskeyRegistrar;
}

/** The dependencies that come from a part (an AWS client behind them), not from the core. */
export type PartKey = Exclude<keyof Deps, 'config' | 'logger' | 'clock' | 'random'>;

/** Which part provides each field: the error a function gets when it did not compose it. */
const PROVIDER: Readonly<Record<PartKey, string>> = {
  ddb: 'clientStore, userStore or rateLimiter (shared/compose/dynamo.ts)',
  clients: 'clientStore (shared/compose/dynamo.ts)',
  factors: 'userStore (shared/compose/dynamo.ts)',
  transactions: 'userStore (shared/compose/dynamo.ts)',
  policyStates: 'userStore (shared/compose/dynamo.ts)',
  audits: 'userStore (shared/compose/dynamo.ts)',
  rates: 'rateLimiter (shared/compose/dynamo.ts)',
  workflow: 'workflow (shared/compose/workflow.ts)',
  messenger: 'messenger (shared/compose/messenger.ts)',
  events: 'events (shared/compose/events.ts)',
  secretBox: 'secretBox (shared/compose/secret-box.ts)',
  otpKeys: 'otpKeys (shared/compose/otp-key.ts)',
  signer: 'signer (shared/compose/signer.ts)',
  consents: 'consentCheck (shared/compose/consent-check.ts)',
  passkeys: 'passkeyRegistrar (shared/compose/passkeys.ts)',
};
const PART_KEYS = Object.keys(PROVIDER) as PartKey[];

/** The part that provides `key` (for error messages and the composition test). */
export const providerOf = (key: PartKey): string => PROVIDER[key];

/** What a part builds its adapters from. */
export interface PartContext {
  readonly config: ServiceConfig;
  readonly clock: Clock;
  /** The DynamoDB client injected with `overrideDeps({ ddb })` (the local runtime's), if any. */
  readonly ddb?: DynamoDBClient;
}

/** A named group of dependencies and how to build each; built at first use, once. */
export interface Part {
  readonly name: string;
  readonly provides: { readonly [K in PartKey]?: (context: PartContext) => Deps[K] };
}

/**
 * A function's dependencies: call it for the current `Deps` (rebuilt after `overrideDeps`).
 * `parts` names what the function composed (the composition test checks it against the
 * function's IAM access in `infra/permissions.ts`).
 */
export interface Composition {
  (): Deps;
  readonly parts: readonly string[];
}

let overrides: Partial<Deps> = {};
let cachedConfig: ServiceConfig | undefined;
/** Bumped by `overrideDeps`: compositions and clients of an older generation are rebuilt. */
let generation = 0;

/**
 * The service configuration, read from the environment once, validated and frozen
 * (`overrideDeps({ config })` wins). The handler factories call it when a function module is
 * loaded, so a bad setting fails the Lambda init with its name, range and problem
 * (`ConfigError`) instead of answering every request with a 500.
 */
export const serviceConfig = (): ServiceConfig => {
  cachedConfig ??= overrides.config ?? parseConfig(serviceConfigSchema, process.env);
  return cachedConfig;
};

/**
 * Replaces parts of the dependencies (local runtime, tests); the rest, config and AWS clients
 * included, is rebuilt lazily from the environment of that moment. A function sees an
 * override only for a part it composes, as on AWS.
 */
export const overrideDeps = (parts: Partial<Deps>): void => {
  overrides = parts;
  cachedConfig = undefined;
  generation += 1;
};

/** A setting a part needs on AWS (the stack sets it); its absence fails that part's first use. */
export const requiredSetting = (name: string, value: string | undefined): string => {
  if (!value) throw new Error(`Invalid configuration: ${name}`);
  return value;
};

/**
 * The AWS client of a compose module: made at first use, then shared by every part of the
 * process that needs it (made again after `overrideDeps`, which may re-point endpoints).
 */
export const oneClient = <T>(make: () => T): (() => T) => {
  let made: { generation: number; client: T } | undefined;
  return () => {
    if (made?.generation !== generation) made = { generation, client: make() };
    return made.client;
  };
};

/**
 * Builds `make()` on first use only (a request that never signs never creates a KMS client).
 * Spreading it (`{ ...deps.transactions, get }` in tests) builds it and copies its members.
 */
const lazy = <T extends object>(make: () => T): T => {
  let built: T | undefined;
  const target = () => {
    built ??= make();
    return built;
  };
  return new Proxy({} as T, {
    get: (_proxy, property) => {
      const value = Reflect.get(target(), property);
      return typeof value === 'function' ? value.bind(built) : value;
    },
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_proxy, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), property);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
};

/** Stands in for a part the function did not compose: any use throws, naming the part. */
const notComposed = <T extends object>(key: PartKey, composed: readonly string[]): T =>
  new Proxy({} as T, {
    get: (_target, property) => {
      // Not thenable, and inspectable: only a real use (`deps.events.publish`) throws.
      if (typeof property === 'symbol' || property === 'then') return undefined;
      throw new Error(
        `deps.${key}.${property}: this function does not compose ${key} (it composes ${
          composed.length ? composed.join(', ') : 'no part'
        }). Add the part ${PROVIDER[key]} to its uses, and its access in infra/permissions.ts.`,
      );
    },
  });

const assemble = (parts: readonly Part[], names: readonly string[]): Deps => {
  const config = serviceConfig();
  const clock = overrides.clock ?? systemClock;
  const context: PartContext = { config, clock, ddb: overrides.ddb };
  const composed: Record<string, object> = {};
  for (const key of PART_KEYS) composed[key] = notComposed(key, names);
  for (const part of parts) {
    for (const [key, make] of Object.entries(part.provides)) {
      composed[key] =
        overrides[key as PartKey] ?? lazy(() => (make as (c: PartContext) => object)(context));
    }
  }
  return {
    ...(composed as unknown as Pick<Deps, PartKey>),
    config,
    clock,
    logger: overrides.logger ?? createLogger({ service: 'mfa', level: config.LOG_LEVEL }),
    random: overrides.random ?? cryptoRandom,
  };
};

/**
 * The dependencies of one function: the core and `parts`, built at first call, once (again
 * after `overrideDeps`).
 *
 * @example
 * const deps = composeDeps([clientStore, workflow]);
 * await deps().workflow.run(input);
 * deps().messenger.send(message); // throws: this function does not compose messenger
 */
export const composeDeps = (parts: readonly Part[]): Composition => {
  const names = parts.map((part) => part.name);
  let built: { generation: number; deps: Deps } | undefined;
  const current = () => {
    if (built?.generation !== generation) built = { generation, deps: assemble(parts, names) };
    return built.deps;
  };
  return Object.assign(current, { parts: names });
};
