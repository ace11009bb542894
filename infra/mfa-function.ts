import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetStaging, Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, type IFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HANDLER_TAG } from '../shared/flow.js';

/** The nearest folder at or above `dir` holding a package.json. */
const packageRootOf = (dir: string): string => {
  for (let current = dir; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, 'package.json'))) return current;
    if (path.dirname(current) === current) throw new Error(`No package.json above ${dir}`);
  }
};

/**
 * The package root, where `functions/` and `package.json` are: this module runs from `infra/`
 * (this repository, through tsx) or from `dist/infra/` (the built package, e.g. in another
 * app's node_modules), so the root is found, not counted in `..`s.
 */
export const PROJECT_ROOT = packageRootOf(path.dirname(fileURLToPath(import.meta.url)));

/**
 * What `NodejsFunction` takes as the lock file. With local bundling it reads only its name, to
 * choose how to run esbuild (npm: `npx --no-install esbuild`, started in `PROJECT_ROOT`, so it
 * finds the esbuild this package depends on); it would also install `nodeModules`, which these
 * functions do not use. An installed copy of the package has no package-lock.json (npm pack
 * always leaves it out), so its package.json stands in: the same npm choice, and a file
 * inside `PROJECT_ROOT`, as `NodejsFunction` demands.
 */
const NPM_LOCK_FILE = path.join(PROJECT_ROOT, 'package-lock.json');
const DEPS_LOCK_FILE = existsSync(NPM_LOCK_FILE)
  ? NPM_LOCK_FILE
  : path.join(PROJECT_ROOT, 'package.json');

/**
 * Bundling hooks that write `files` next to the bundle. CDK calls `afterBundling` with the
 * asset's output folder before it runs esbuild there; the files are written from this
 * process at that moment, so no shell command (and no path in one) is involved, and nothing
 * is written when a synth skips bundling. Local bundling only: inside Docker the folder is
 * the container's, and the Docker command fails instead.
 */
const filesBeside = (files: () => Readonly<Record<string, string>>): ICommandHooks => ({
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_input, output) => {
    // CDK also prepares the Docker command (used only if local bundling fails): there, fail
    // rather than ship a bundle without its files.
    if (output === AssetStaging.BUNDLING_OUTPUT_DIR) {
      return [
        'echo "MfaFunction: files beside a bundle need local bundling (esbuild)" >&2 && exit 1',
      ];
    }
    mkdirSync(output, { recursive: true });
    for (const [name, text] of Object.entries(files())) {
      writeFileSync(path.join(output, name), text);
    }
    return [];
  },
});

/** What the bundles use for the SDK's default credential chain: Lambda's own sources only. */
export const LAMBDA_CREDENTIALS = path.join(
  PROJECT_ROOT,
  'shared',
  'adapters',
  'aws',
  'lambda-credentials.ts',
);

export interface MfaFunctionProps {
  /** Module name under `functions/` (exports `handler`). */
  readonly handler: string;
  /**
   * Files written beside the bundle (name → contents), e.g. a document built at synth that
   * the function would otherwise build at each cold start; called only when bundling runs.
   * @default none
   */
  readonly files?: () => Readonly<Record<string, string>>;
  readonly environment: Record<string, string>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /**
   * Concurrency reserved for (and capping) this function.
   * @default - none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * Pre-initialised environments. Creates a version and an alias `live` that holds them;
   * callers must invoke `entrypoint` (the alias) to use them.
   * @default - none (the local runtime needs this: it maps tasks by function, not alias)
   */
  readonly provisionedConcurrency?: number;
}

/**
 * Why each function role carries `Resource: *`: X-Ray accepts trace data only on `*`. Roles
 * with more wildcard findings (SMS) extend this reason where they add them.
 */
export const XRAY_WILDCARD_REASON =
  'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permission, so they can only be granted on "*".';

/**
 * The project's Lambda defaults in one place: Node.js 22 on arm64, an ESM bundle with source
 * maps built by local esbuild (never Docker), X-Ray tracing, its own log group with retention,
 * and its own role holding nothing but log writes and tracing: every other permission is
 * added by name (`infra/permissions.ts`), so no AWS managed policy is attached.
 */
export class MfaFunction extends NodejsFunction {
  /** What API Gateway and Step Functions invoke: the `live` alias with provisioned concurrency, else the function. */
  readonly entrypoint: IFunction;

  constructor(scope: Construct, id: string, props: MfaFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs functions/${props.handler}.ts`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, 'functions', `${props.handler}.ts`),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: DEPS_LOCK_FILE,
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      reservedConcurrentExecutions: props.reservedConcurrency,
      // No `--enable-source-maps`: Node would read and decode the map at every cold start
      // (4-11 ms), for stack traces that the service's logs never carry (errors are logged as
      // name and scrubbed message); the map ships beside the bundle for looking a position up.
      environment: props.environment,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Looking a position up needs the mappings, not the sources (a quarter of the size).
        sourcesContent: false,
        mainFields: ['module', 'main'],
        forceDockerBundling: false,
        // The AWS SDK is bundled, tree-shaken, at the lockfile's versions (the ones tested),
        // not taken from the runtime: the runtime's copy changes under the function when AWS
        // updates it, and loading it costs about twice the bundled import at a cold start
        // (README "Performance"). The default credential chain is replaced by the sources
        // Lambda uses: the environment, else the credentials endpoint (LAMBDA_CREDENTIALS).
        externalModules: [],
        // Code that runs from source only (the local runtime) is left out of the bundles.
        define: { 'process.env.MFA_BUNDLE': JSON.stringify('true') },
        // An absolute path on this machine: local bundling only (a Docker fallback, which
        // `forceDockerBundling: false` does not rule out when esbuild is missing, would not
        // see it; esbuild is a dependency of this package).
        esbuildArgs: { '--alias': `@aws-sdk/credential-provider-node=${LAMBDA_CREDENTIALS}` },
        ...(props.files ? { commandHooks: filesBeside(props.files) } : {}),
        // CommonJS dependencies inside an ESM bundle still call require(). Taken without an
        // import statement (process.getBuiltinModule, Node ≥ 20.16): ~1 ms less per cold start.
        banner:
          "const require=process.getBuiltinModule('node:module').createRequire(import.meta.url);",
      },
    });
    Tags.of(this).add(HANDLER_TAG, props.handler);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: XRAY_WILDCARD_REASON,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime this service is built, bundled (esbuild target node22) and tested for; it is supported by Lambda until 2027. Moving to a newer runtime is a deliberate upgrade with its own test run, not a drift.',
    });

    this.entrypoint = props.provisionedConcurrency
      ? new Alias(this, 'Live', {
          aliasName: 'live',
          version: this.currentVersion,
          provisionedConcurrentExecutions: props.provisionedConcurrency,
        })
      : this;
  }
}
