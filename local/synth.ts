import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export const STACK_NAME = 'MfaServiceStack';
/** What the synthesized state machine depends on: a change here makes the template stale. */
const SOURCES = ['infra', 'shared', 'cdk.json', 'package-lock.json'];

const newestMtimeMs = async (target: string): Promise<number> => {
  const info = await stat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(target);
  const times = await Promise.all(entries.map((entry) => newestMtimeMs(path.join(target, entry))));
  return Math.max(info.mtimeMs, ...times);
};

export const templatePath = (root: string) =>
  path.join(root, 'cdk.out', `${STACK_NAME}.template.json`);

/** True when the template is missing or older than any source it is built from. */
export const isTemplateStale = async (root: string): Promise<boolean> => {
  const template = await stat(templatePath(root)).catch(() => undefined);
  if (!template) return true;
  const sources = await Promise.all(SOURCES.map((entry) => newestMtimeMs(path.join(root, entry))));
  return Math.max(...sources) > template.mtimeMs;
};

/**
 * Makes sure `cdk.out` holds a template synthesized from the current CDK code, running the
 * CDK app (with Lambda bundling skipped: the local runtime runs the handler sources) when it
 * is missing or stale. The new template replaces the old one atomically.
 */
export const ensureTemplate = async (root: string): Promise<string> => {
  const target = templatePath(root);
  if (!(await isTemplateStale(root))) return target;
  const cdkJson = JSON.parse(await readFile(path.join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  await mkdir(path.join(root, '.local'), { recursive: true });
  const outdir = await mkdtemp(path.join(root, '.local', 'synth-'));
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: root,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({
          ...cdkJson.context,
          'aws:cdk:bundling-stacks': [],
        }),
      },
    });
    await mkdir(path.dirname(target), { recursive: true });
    await rename(path.join(outdir, `${STACK_NAME}.template.json`), target);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
  return target;
};
