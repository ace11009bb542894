/**
 * `npm run bundle-report [-- --cdk-out DIR] [-- --runs N]`: the minified size of every Lambda
 * bundle, the AWS SDK's share of it (bundled, read from the source map), the rest against its
 * target (300 KB, DESIGN.md; two exceptions in infra/bundle-budget.ts), and the time to import
 * it at a cold start: the median over `--runs` (default 10) fresh `node` processes of
 * `await import(bundle)`, with the function's `NODE_OPTIONS` and its config read at load. The last line is the slowest import of the API
 * and task functions (`api`, the authorizer included) and of the light ones (`light`: health,
 * well-known-*, demo, openapi). Synthesizes the stack with bundling into a temporary assembly
 * (local esbuild, no Docker), or reads an existing bundled one with `--cdk-out`. It reports and
 * exits 0 whatever the sizes and times; only a failed synth or an unreadable assembly exits 1.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { BUNDLE_TARGET_KIB, bundleBudgetKib } from '../infra/bundle-budget.js';
import { accessOf } from '../infra/permissions.js';
import { defaultPolicy } from '../shared/domain/policy/index.js';
import { HANDLER_TAG } from '../shared/flow.js';
import { appliesDefaultPolicy } from '../shared/routes.js';
import { awsSdkBytes } from './bundle-share.js';

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = 10;

interface Resource {
  readonly Type: string;
  readonly Properties?: {
    readonly Code?: { readonly S3Key?: unknown };
    readonly Tags?: { readonly Key: string; readonly Value: string }[];
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
  readonly Metadata?: Record<string, unknown>;
}

export interface BundleSize {
  /** The `mfa:handler` tag, or `(cdk) <logical id>` for functions CDK adds itself. */
  readonly handler: string;
  /** Size of the bundle's `index.mjs` in bytes; undefined when the asset holds no bundle. */
  readonly bytes?: number;
  /** How many of those bytes are the AWS SDK (`awsSdkBytes`); the rest has a budget. */
  readonly sdkBytes?: number;
  /** The bundle's `index.mjs`, when there is one. */
  readonly file?: string;
  /** The function's `NODE_OPTIONS`, if it sets any, as its imports run on Lambda. */
  readonly nodeOptions?: string;
  /** Median time to import the bundle in a fresh process, in ms (`importTimes`). */
  readonly importMs?: number;
}

/** Runs the CDK app with bundling into `outdir` (what `cdk synth` does, without the CLI). */
const synthesize = async (outdir: string): Promise<void> => {
  const cdkJson = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(cdkJson.context ?? {}),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
};

/** The asset directory of a function: from its asset metadata, else from `Code.S3Key`. */
const assetDir = (resource: Resource): string | undefined => {
  const fromMetadata = resource.Metadata?.['aws:asset:path'];
  if (typeof fromMetadata === 'string') return fromMetadata;
  const key = resource.Properties?.Code?.S3Key;
  return typeof key === 'string' && key.endsWith('.zip') ? `asset.${key.slice(0, -4)}` : undefined;
};

/** Sizes of the bundles of every Lambda function in the assembly's templates. */
export const bundleSizes = async (cdkOut: string): Promise<BundleSize[]> => {
  const templates = (await readdir(cdkOut)).filter((file) => file.endsWith('.template.json'));
  if (templates.length === 0) throw new Error(`no *.template.json in ${cdkOut}`);
  const sizes: BundleSize[] = [];
  for (const file of templates) {
    const template = JSON.parse(await readFile(path.join(cdkOut, file), 'utf8')) as {
      Resources?: Record<string, Resource>;
    };
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const tag = resource.Properties?.Tags?.find((entry) => entry.Key === HANDLER_TAG)?.Value;
      const dir = assetDir(resource);
      const file = dir ? path.resolve(cdkOut, dir, 'index.mjs') : undefined;
      const info = file ? await stat(file).catch(() => undefined) : undefined;
      const sdkBytes =
        file && info
          ? awsSdkBytes(await readFile(file, 'utf8'), await readFile(`${file}.map`, 'utf8'))
          : undefined;
      const nodeOptions = resource.Properties?.Environment?.Variables?.NODE_OPTIONS;
      sizes.push({
        handler: tag ?? `(cdk) ${logicalId}`,
        bytes: info?.size,
        sdkBytes,
        file: info ? file : undefined,
        nodeOptions: typeof nodeOptions === 'string' ? nodeOptions : undefined,
      });
    }
  }
  return sizes.sort((a, b) => a.handler.localeCompare(b.handler));
};

/** Functions whose role grants no AWS access (`infra/permissions.ts`). */
const touchesNoAws = (handler: string): boolean => {
  try {
    return accessOf(handler).length === 0;
  } catch {
    return false; // a function CDK adds itself
  }
};

/** Functions that serve no flow: they should load no AWS client they do not need. */
export const isLight = (handler: string): boolean =>
  handler === 'health' ||
  handler === 'demo' ||
  handler === 'openapi' ||
  handler.startsWith('well-known-');

/**
 * What a function module reads when it loads on Lambda: the service config (`TABLE_NAME` is
 * the one required setting, plus `DEFAULT_POLICY` where the stack sets it) and the
 * authorizer's, so init runs as deployed. No credentials:
 * an import makes no AWS call.
 */
const importEnvironment = (size: BundleSize): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  // A deployment with a default policy (the stack gives it to its route's function only).
  ...(appliesDefaultPolicy(size.handler)
    ? { DEFAULT_POLICY: JSON.stringify(defaultPolicy()) }
    : {}),
  AWS_LAMBDA_FUNCTION_NAME: `mfa-${size.handler}`,
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'mfa',
  MFA_ISSUER: 'https://mfa.example',
  MFA_AUDIENCES: '*',
  MFA_JWKS_URL: 'https://mfa.example/.well-known/jwks.json',
  ...(size.nodeOptions ? { NODE_OPTIONS: size.nodeOptions } : {}),
});

const IMPORT_SCRIPT =
  'const t = performance.now(); await import(process.env.BUNDLE_URL); process.stdout.write(String(performance.now() - t));';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/**
 * The median time, over `runs` fresh `node` processes one after another, to import the
 * bundle; NaN when an import throws (that function's Lambda init would fail). A bundle holds
 * everything it imports but Node's own modules, so it runs where it lies.
 */
export const importTime = async (size: BundleSize, runs = RUNS) => {
  if (!size.file) return undefined;
  const file = size.file;
  const env = { ...importEnvironment(size), BUNDLE_URL: pathToFileURL(file).href };
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', IMPORT_SCRIPT],
      { cwd: path.dirname(file), env },
    ).catch(() => ({ stdout: 'NaN' })); // an init that throws: reported as such
    times.push(Number(stdout));
  }
  return times.some(Number.isNaN) ? Number.NaN : median(times);
};

/** What a bundle's budget counts: its size less the AWS SDK's share. */
const ownBytes = (size: BundleSize) => (size.bytes ?? 0) - (size.sdkBytes ?? 0);

/**
 * The report's lines: handler, size in KB, the AWS SDK's share, the rest against its target
 * (ok/over), import time.
 */
export const formatReport = (
  sizes: BundleSize[],
  budgetKb: (handler: string) => number = bundleBudgetKib,
  runs = RUNS,
): string[] => {
  const width = Math.max(7, ...sizes.map((size) => size.handler.length));
  const format = (importMs: number) => (Number.isNaN(importMs) ? 'fails' : importMs.toFixed(0));
  const ms = (size: BundleSize) =>
    (size.importMs === undefined ? '-' : format(size.importMs)).padStart(9);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`.padStart(9);
  const lines = [
    `${'handler'.padEnd(width)}  ${'size'.padStart(9)}  ${'AWS SDK'.padStart(9)}  ${'own'.padStart(9)}  target           import ms`,
  ];
  for (const size of sizes) {
    const { handler, bytes } = size;
    const targetKb = budgetKb(handler);
    if (bytes === undefined) {
      const none = '-'.padStart(9);
      lines.push(
        `${handler.padEnd(width)}  ${none}  ${none}  ${none}  < ${targetKb} KB  no bundle${ms(size)}`,
      );
      continue;
    }
    const verdict = (ownBytes(size) / 1024 < targetKb ? 'ok' : 'over').padEnd(9);
    lines.push(
      `${handler.padEnd(width)}  ${kb(bytes)}  ${kb(size.sdkBytes ?? 0)}  ${kb(ownBytes(size))}  < ${targetKb} KB  ${verdict}${ms(size)}`,
    );
  }
  const measured = sizes.filter((size) => size.bytes !== undefined);
  const over = measured.filter((size) => ownBytes(size) / 1024 >= budgetKb(size.handler)).length;
  lines.push(
    measured.length === 0
      ? 'no bundles in this assembly (synthesized without bundling?): run without --cdk-out'
      : `${over} of ${measured.length} bundles over their target, the AWS SDK aside (${BUNDLE_TARGET_KIB} KB; factors-enroll and factors-activate: see README "Performance")`,
  );
  const ours = sizes.filter((size) => !size.handler.startsWith('(cdk)'));
  const slowest = (light: boolean) => {
    const times = ours
      .filter((size) => isLight(size.handler) === light)
      .flatMap((size) => (size.importMs === undefined ? [] : [size.importMs]));
    return times.length ? format(Math.max(...times)) : '-';
  };
  lines.push(
    `import ms: median of ${runs} fresh node processes each, the AWS SDK bundled (Node ${process.versions.node})`,
  );
  // DESIGN.md words its 20 ms for the functions that touch no AWS service (IAM access none:
  // infra/permissions.ts); the issue's light list also holds well-known-jwks (KMS) and the
  // report has long counted openapi.
  const noAws = ours.filter((size) => size.importMs !== undefined && touchesNoAws(size.handler));
  const noAwsMax = Math.max(...noAws.map((size) => size.importMs ?? 0));
  lines.push(
    `functions that touch no AWS service (${noAws.map((size) => size.handler).join(', ')}): max import ms ${noAws.length ? format(noAwsMax) : '-'}`,
  );
  lines.push(`max import ms: api ${slowest(false)}, light ${slowest(true)}`);
  return lines;
};

const main = async (): Promise<number> => {
  let temporary: string | undefined;
  try {
    const { values } = parseArgs({
      options: { 'cdk-out': { type: 'string' }, runs: { type: 'string' } },
      strict: true,
    });
    const runs = Number(values.runs ?? RUNS);
    if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number ≥ 1');
    // A private directory: never disturb cdk.out, which the local runtime reads.
    await mkdir(path.join(PROJECT_ROOT, '.local'), { recursive: true });
    temporary = await mkdtemp(path.join(PROJECT_ROOT, '.local', 'bundle-report-'));
    let cdkOut = values['cdk-out'];
    if (!cdkOut) {
      process.stderr.write('Synthesizing with bundling (local esbuild)...\n');
      cdkOut = path.join(temporary, 'cdk.out');
      await synthesize(cdkOut);
    }
    const sizes = await bundleSizes(cdkOut);
    process.stderr.write(`Importing each bundle ${runs} times...\n`);
    const timed: BundleSize[] = [];
    for (const size of sizes) {
      timed.push({ ...size, importMs: await importTime(size, runs) });
    }
    process.stdout.write(`${formatReport(timed, bundleBudgetKib, runs).join('\n')}\n`);
    return 0;
  } catch (error) {
    const { message, stderr } = error as Error & { stderr?: string };
    process.stderr.write(`bundle-report: ${stderr?.trim() || message}\n`);
    return 1;
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  }
};

const isMain = () => {
  const entry = process.argv[1];
  return entry !== undefined && realpathSync(entry) === import.meta.filename;
};

if (isMain()) process.exitCode = await main();
