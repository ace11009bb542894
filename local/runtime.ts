import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClientStore } from '../shared/adapters/aws/dynamo-clients.js';
import { tableOps } from '../shared/adapters/aws/dynamo-table.js';
import { createFileSigner } from '../shared/adapters/file/file-signer.js';
import { httpsConsentChecker } from '../shared/adapters/https-consent-checker.js';
import { parseConfig, serviceConfigSchema } from '../shared/config.js';
import { overrideDeps } from '../shared/deps.js';
import { hashClientSecret } from '../shared/domain/client-secret.js';
import { clearClientCache } from '../shared/http/client-auth.js';
import { createLogger, type LogLevel } from '../shared/log.js';
import { type Clock, systemClock } from '../shared/ports/clock.js';
import type { TokenSigner } from '../shared/ports/signer.js';
import { createLocalAuthorizer, type LocalAuthorizer } from './authorizer.js';
import { createDemoPage, type DemoPage } from './demo-page-assets.js';
import { ensureTable, startDynamo } from './dynamo.js';
import { EventLog } from './event-log.js';
import { HopLog } from './hops.js';
import { createLocalHttpServer } from './http-server.js';
import { startKmsEndpoint } from './kms-endpoint.js';
import { hostGuard } from './loopback.js';
import { Outbox, startMessagingEndpoint } from './outbox.js';
import { removeRuntimeFile, writeRuntimeFile } from './runtime-file.js';
import { startSecretsEndpoint } from './secrets-endpoint.js';
import { startStepFunctionsEndpoint } from './sfn-endpoint.js';
import { ensureTemplate } from './synth.js';
import {
  type CfnTemplate,
  eventBusName,
  functionEnvironment,
  LOCAL_REGION,
  tableResource,
} from './template.js';
import { createLocalWorkflow, type HandlerLoader, type LocalWorkflow } from './workflow.js';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/** The stack's route policies, with the local demo knob `DEMO_CATS_MAX_AGE_SECONDS` applied. */
const localRoutePolicies = (fromTemplate: string | undefined, catsMaxAge?: number): string => {
  const policies = JSON.parse(fromTemplate ?? '{}') as Record<
    string,
    { maxAge: number; acr?: string }
  >;
  const cats = policies['GET /demo/cats'];
  if (catsMaxAge !== undefined && cats)
    policies['GET /demo/cats'] = { ...cats, maxAge: catsMaxAge };
  return JSON.stringify(policies);
};

export interface LocalRuntimeOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Persist tables and keys here; a temp dir (removed on close) when unset. */
  readonly dataDir?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Service configuration overrides (e.g. `STATE_TOKEN_TTL_SECONDS`). */
  readonly env?: Record<string, string>;
  readonly logLevel?: LogLevel;
  /** maxAge of `GET /demo/cats` instead of the stack's 60 s. */
  readonly demoCatsMaxAgeSeconds?: number;
  /** The service's clock (tests move time forward instead of sleeping). @default the system clock */
  readonly clock?: Clock;
  /** Where log lines go; stdout when unset. */
  readonly logWrite?: (line: string) => void;
  /**
   * A CA certificate (PEM) the consent check trusts besides the system's, for an app consent
   * service with a certificate of its own (tests). The check still requires HTTPS.
   */
  readonly consentCheckCa?: string;
  /** Record the AWS requests the service makes, with their times (`hops`; `npm run bench`). */
  readonly recordHops?: boolean;
}

/** What the runtime did, for tests and benchmarks (cost budgets). */
export interface LocalRuntimeStats {
  /** DynamoDB requests the service made, by command name. */
  readonly dynamodbRequests: Record<string, number>;
  /** `MfaFlow` executions. */
  workflowExecutions: number;
  /** The AWS requests with their times, when started with `recordHops`. */
  readonly hops: HopLog;
}

export interface LocalRuntime {
  readonly stats: LocalRuntimeStats;
  readonly url: string;
  readonly outbox: Outbox;
  /** Audit events put on the local bus (also at `GET /_local/events`). */
  readonly events: EventLog;
  readonly workflow: LocalWorkflow;
  readonly template: CfnTemplate;
  /** The demo page served at `/` (built on first request, or by its `build()`). */
  readonly demoPage: DemoPage;
  close(): Promise<void>;
}

/** The state machine the local Step Functions endpoint serves. */
const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:000000000000:stateMachine:MfaFlow`;

/**
 * The local token signer (the key file, standing in for KMS until the local KMS endpoint
 * exists), with each signature recorded as the KMS `Sign` it is on AWS.
 */
const timedSigner = (dir: string, ttl: number, hops: HopLog, clock?: Clock): TokenSigner => {
  const signer = createFileSigner({
    dir,
    now: () => (clock ?? systemClock).now(),
    retainSeconds: ttl + 60,
  });
  return {
    sign: (claims, typ) => hops.time('KMS', 'Sign', () => signer.sign(claims, typ)),
    publicJwks: () => signer.publicJwks(),
  };
};

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * Starts the whole service on one machine: the embedded DynamoDB, the local SNS/SES
 * endpoint, `MfaFlow` from the synthesized template, and the HTTP API on the route table.
 * One runtime per process: it points this process's AWS SDK clients at the local endpoints.
 * The service config the functions will read is validated before the server listens: a bad
 * setting rejects with the `ConfigError` a Lambda init would fail with, and whatever was
 * started is stopped again (as on any start-up failure).
 */
export const startLocalRuntime = async (options: LocalRuntimeOptions): Promise<LocalRuntime> => {
  const template = JSON.parse(
    await readFile(await ensureTemplate(PROJECT_ROOT), 'utf8'),
  ) as CfnTemplate;
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    return await start(template, options, stops, stopAll);
  } catch (error) {
    // The start-up error is the one to report, not a failure to stop what it had started.
    await stopAll().catch(() => {});
    throw error;
  }
};

const start = async (
  template: CfnTemplate,
  options: LocalRuntimeOptions,
  stops: (() => Promise<unknown>)[],
  stopAll: () => Promise<void>,
): Promise<LocalRuntime> => {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'mfa-local-')));
  if (ownDir) stops.push(() => rm(dataDir, { recursive: true, force: true }));
  // Made for this user alone (the table holds app secrets' salts and hashes); a folder that
  // exists already keeps its mode.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const dynamo = await startDynamo(ownDir ? undefined : path.join(dataDir, 'dynamodb'));
  stops.push(() => closeServer(dynamo.server));
  const outbox = new Outbox();
  const events = new EventLog();
  const hops = new HopLog(options.recordHops === true);
  const messaging = await startMessagingEndpoint(outbox, {
    log: events,
    name: eventBusName(template),
    hops,
  });
  stops.push(() => closeServer(messaging.server));

  // The SDK clients of the handlers reach only local endpoints; anything else fails fast.
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SNS: messaging.url,
    AWS_ENDPOINT_URL_SES: messaging.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: messaging.url,
    // Versions are pinned by the lockfile; Node 20 is supported for local use only.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // The issuer is this server's URL (or `options.env`'s), set once it listens.
  delete process.env.MFA_ISSUER;
  for (const [key, value] of Object.entries(functionEnvironment(template))) {
    if (key !== 'NODE_OPTIONS' && key !== 'STATE_MACHINE_ARN') process.env[key] ??= value;
  }
  const keyDir = path.join(dataDir, 'keys');
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  // The token signing key file (the signing-key CLI rotates it there).
  process.env.LOCAL_KEY_DIR = keyDir;
  // KMS (the secret box's data key) and Secrets Manager (the OTP HMAC secret) over the wire:
  // the production adapters and SDK clients, against endpoints keeping their keys in keyDir.
  const kms = await startKmsEndpoint(keyDir, LOCAL_REGION);
  stops.push(() => closeServer(kms.server));
  const secrets = await startSecretsEndpoint(keyDir, LOCAL_REGION);
  stops.push(() => closeServer(secrets.server));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: kms.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    SECRET_BOX_KEY_ID: kms.dataKeyArn,
    OTP_KEY_SECRET_ARN: secrets.secretArn,
  });
  // What the functions will read, checked before `options.env` lands in process.env (a
  // refused setting leaves no trace) and before any function module is loaded.
  const settings = parseConfig(serviceConfigSchema, { ...process.env, ...options.env });
  Object.assign(process.env, options.env ?? {});

  const cache = new Map<string, ReturnType<HandlerLoader>>();
  const loadHandler: HandlerLoader = (name) => {
    let loaded = cache.get(name);
    if (!loaded) {
      const file = pathToFileURL(path.join(PROJECT_ROOT, 'functions', `${name}.ts`)).href;
      loaded = import(file).then(
        (module: { handler: Awaited<ReturnType<HandlerLoader>> }) => module.handler,
      );
      cache.set(name, loaded);
    }
    return loaded;
  };
  // Task functions as Step Functions invokes them (a Lambda request each).
  const invokeTask: HandlerLoader = async (name) => {
    const handler = await loadHandler(name);
    return ((event: unknown, context: unknown) =>
      hops.time('Lambda', name, async () =>
        (handler as (e: unknown, c: unknown) => Promise<unknown>)(event, context),
      )) as Awaited<ReturnType<HandlerLoader>>;
  };
  const workflow = await createLocalWorkflow(template, invokeTask);
  const logger = createLogger({
    service: 'mfa',
    level: options.logLevel ?? settings.LOG_LEVEL,
    write: options.logWrite,
  });

  const table = tableResource(template);
  const ddb = new DynamoDBClient({});
  await ensureTable(ddb, table.name, table.properties);
  const salt = randomBytes(16).toString('hex');
  await dynamoClientStore(tableOps(ddb, table.name)).put({
    clientId: options.clientId,
    name: 'Local demo client',
    salt,
    secretHash: hashClientSecret(options.clientSecret, salt),
  });
  ddb.destroy();

  const stats: LocalRuntimeStats = { dynamodbRequests: {}, workflowExecutions: 0, hops };
  const serviceDdb = new DynamoDBClient({});
  stops.push(async () => serviceDdb.destroy());
  serviceDdb.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? 'unknown';
      stats.dynamodbRequests[name] = (stats.dynamodbRequests[name] ?? 0) + 1;
      return hops.time('DynamoDB', name, () => next(args), (args as { input?: unknown }).input);
    },
    { step: 'initialize', name: 'countRequests' },
  );

  // Requests wait until the issuer (this server's URL) is configured.
  let markReady: (authorizer: LocalAuthorizer) => void = () => {};
  const ready = new Promise<LocalAuthorizer>((resolve) => {
    markReady = resolve;
  });
  const routePolicies = localRoutePolicies(
    process.env.MFA_ROUTE_POLICIES,
    options.demoCatsMaxAgeSeconds,
  );
  const catsMaxAge = (JSON.parse(routePolicies) as Record<string, { maxAge?: number }>)[
    'GET /demo/cats'
  ]?.maxAge;
  const demoPage = createDemoPage({ catsMaxAgeSeconds: catsMaxAge });
  const server = createLocalHttpServer({
    loadHandler,
    outbox,
    events,
    ready,
    demoPage,
    hostAllowed: hostGuard(options.host ?? '127.0.0.1'),
  });
  // Longer than clients' idle keep-alive (undici: 4 s), so a client never reuses a socket
  // the server is closing (ECONNRESET).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  stops.push(() => closeServer(server));
  const { port } = server.address() as AddressInfo;
  const host =
    options.host && options.host !== '0.0.0.0' && options.host !== '::'
      ? options.host
      : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  process.env.MFA_ISSUER = options.env?.MFA_ISSUER ?? url;
  process.env.MFA_JWKS_URL = `${process.env.MFA_ISSUER}/.well-known/jwks.json`;
  // Passkeys work on this runtime's pages at http://localhost:PORT (RP id `localhost`), unless
  // the environment says otherwise.
  if (process.env.WEBAUTHN_ORIGINS === undefined) {
    process.env.WEBAUTHN_ORIGINS = `http://localhost:${port}`;
    stops.push(async () => {
      delete process.env.WEBAUTHN_ORIGINS;
    });
  }
  process.env.MFA_ROUTE_POLICIES = routePolicies;
  // The functions call Step Functions over the wire, with the production adapter and SDK
  // client; the endpoint runs the synthesized ASL (and counts the executions).
  const stepFunctions = await startStepFunctionsEndpoint({
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    execute: (input) => {
      stats.workflowExecutions += 1;
      return hops.time('StepFunctions', 'StartSyncExecution', () => workflow.execute(input));
    },
  });
  stops.push(() => closeServer(stepFunctions.server));
  process.env.AWS_ENDPOINT_URL_SFN = stepFunctions.url;
  process.env.STATE_MACHINE_ARN = LOCAL_STATE_MACHINE_ARN;
  overrideDeps({
    logger,
    ddb: serviceDdb,
    ...(hops.enabled
      ? { signer: timedSigner(keyDir, settings.TOKEN_TTL_SECONDS, hops, options.clock) }
      : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.consentCheckCa
      ? { consents: httpsConsentChecker({ extraCa: options.consentCheckCa }) }
      : {}),
  });
  clearClientCache();
  markReady(createLocalAuthorizer(process.env, logger, options.clock));
  stops.push(() => removeRuntimeFile(PROJECT_ROOT));
  await writeRuntimeFile(PROJECT_ROOT, {
    dynamodbEndpoint: dynamo.url,
    tableName: table.name,
    url,
    keyDir,
  });
  return {
    url,
    outbox,
    events,
    workflow,
    template,
    stats,
    demoPage,
    close: stopAll,
  };
};
