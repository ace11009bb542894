import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTemplateStale, templatePath } from '../../local/synth.js';

const project = () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mfa-stale-'));
  mkdirSync(path.join(root, 'infra'));
  mkdirSync(path.join(root, 'cdk.out'));
  writeFileSync(path.join(root, 'infra', 'mfa-flow.ts'), '// flow');
  writeFileSync(path.join(root, 'cdk.json'), '{}');
  return root;
};
const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

describe('template staleness', () => {
  it('is stale when the template is missing', async () => {
    await expect(isTemplateStale(project())).resolves.toBe(true);
  });

  it('is fresh when the template is newer than every source', async () => {
    const root = project();
    writeFileSync(templatePath(root), '{}');
    at(path.join(root, 'infra', 'mfa-flow.ts'), 1000);
    at(path.join(root, 'infra'), 1000);
    at(path.join(root, 'cdk.json'), 1000);
    at(templatePath(root), 2000);
    await expect(isTemplateStale(root)).resolves.toBe(false);
  });

  it('is stale once the CDK workflow code changes after synthesis', async () => {
    const root = project();
    writeFileSync(templatePath(root), '{}');
    at(path.join(root, 'infra'), 1000);
    at(path.join(root, 'cdk.json'), 1000);
    at(templatePath(root), 2000);
    at(path.join(root, 'infra', 'mfa-flow.ts'), 3000);
    await expect(isTemplateStale(root)).resolves.toBe(true);
  });
});
