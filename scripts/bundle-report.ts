/**
 * `npm run bundle-report [-- --cdk-out DIR]`: the minified size of every Lambda bundle against
 * the 300 KB target (DESIGN.md). Synthesizes the stack with bundling into a temporary
 * assembly (local esbuild, no Docker), or reads an existing bundled one with `--cdk-out`.
 * It reports and exits 0 whatever the sizes; only a failed synth or an unreadable assembly
 * exits 1.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { HANDLER_TAG } from '../shared/flow.js';

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');
const TARGET_KB = 300;

interface Resource {
  readonly Type: string;
  readonly Properties?: {
    readonly Code?: { readonly S3Key?: unknown };
    readonly Tags?: { readonly Key: string; readonly Value: string }[];
  };
  readonly Metadata?: Record<string, unknown>;
}

export interface BundleSize {
  /** The `mfa:handler` tag, or `(cdk) <logical id>` for functions CDK adds itself. */
  readonly handler: string;
  /** Size of the bundle's `index.mjs` in bytes; undefined when the asset holds no bundle. */
  readonly bytes?: number;
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
      const info = dir
        ? await stat(path.join(cdkOut, dir, 'index.mjs')).catch(() => undefined)
        : undefined;
      sizes.push({ handler: tag ?? `(cdk) ${logicalId}`, bytes: info?.size });
    }
  }
  return sizes.sort((a, b) => a.handler.localeCompare(b.handler));
};

/** The report's lines: handler, size in KB, the target, ok/over. */
export const formatReport = (sizes: BundleSize[], targetKb = TARGET_KB): string[] => {
  const width = Math.max(7, ...sizes.map((size) => size.handler.length));
  const lines = [`${'handler'.padEnd(width)}  ${'size'.padStart(9)}  target`];
  for (const { handler, bytes } of sizes) {
    if (bytes === undefined) {
      lines.push(`${handler.padEnd(width)}  ${'-'.padStart(9)}  < ${targetKb} KB  no bundle`);
      continue;
    }
    const kb = bytes / 1024;
    const verdict = kb < targetKb ? 'ok' : 'over';
    lines.push(
      `${handler.padEnd(width)}  ${`${kb.toFixed(1)} KB`.padStart(9)}  < ${targetKb} KB  ${verdict}`,
    );
  }
  const measured = sizes.filter((size) => size.bytes !== undefined);
  const over = measured.filter((size) => (size.bytes ?? 0) / 1024 >= targetKb).length;
  lines.push(
    measured.length === 0
      ? 'no bundles in this assembly (synthesized without bundling?): run without --cdk-out'
      : `${over} of ${measured.length} bundles over ${targetKb} KB (minified index.mjs)`,
  );
  return lines;
};

const main = async (): Promise<number> => {
  let temporary: string | undefined;
  try {
    const { values } = parseArgs({ options: { 'cdk-out': { type: 'string' } }, strict: true });
    let cdkOut = values['cdk-out'];
    if (!cdkOut) {
      // A private assembly: never disturb cdk.out, which the local runtime reads.
      await mkdir(path.join(PROJECT_ROOT, '.local'), { recursive: true });
      temporary = await mkdtemp(path.join(PROJECT_ROOT, '.local', 'bundle-report-'));
      process.stderr.write('Synthesizing with bundling (local esbuild)...\n');
      await synthesize(temporary);
      cdkOut = temporary;
    }
    const sizes = await bundleSizes(cdkOut);
    process.stdout.write(`${formatReport(sizes).join('\n')}\n`);
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
