/**
 * `npm run openapi [-- --server URL] [--out FILE]`: the OpenAPI 3.1 description the service
 * serves at `GET /openapi.json`, generated from the route table and the schemas (stdout, or
 * FILE). `npm run openapi -- --lint`: lints it with Redocly CLI under `redocly.yaml`
 * (`recommended-strict`: a warning fails too), offline; prints Redocly's JSON report and exits
 * 0 when it has no problem, 1 otherwise. test/unit/openapi-lint.test.ts runs the same lint.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { openApiDocument } from '../shared/openapi/document.js';
import { isMainModule } from './cli.js';

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');
const REDOCLY = path.join(PROJECT_ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

export interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number };
  readonly problems: readonly { readonly ruleId: string; readonly message: string }[];
}

/** Redocly's report on `document` (JSON), with telemetry and update checks off. */
export const lintOpenApi = async (document: unknown): Promise<LintReport> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'openapi-lint-'));
  try {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document, null, 2));
    const args = [REDOCLY, 'lint', file, '--format=json', '--config', 'redocly.yaml'];
    const env = {
      ...process.env,
      REDOCLY_TELEMETRY: 'off',
      REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
    };
    // Redocly exits 1 when it found errors; its report is on stdout either way.
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return JSON.parse(stdout) as LintReport;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      out: { type: 'string' },
      lint: { type: 'boolean', default: false },
    },
  });
  const document = openApiDocument({ serverUrl: values.server });
  if (values.lint) {
    const report = await lintOpenApi(document);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.totals.errors + report.totals.warnings === 0 ? 0 : 1;
  }
  const text = `${JSON.stringify(document, null, 2)}\n`;
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
  return 0;
};

if (isMainModule(import.meta.filename)) process.exitCode = await main();
