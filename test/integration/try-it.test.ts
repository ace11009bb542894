import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from '../support/local.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.close();
});

describe("the README's Try it script", () => {
  it('enrolls, starts a payment, challenges, verifies and prints the decoded token', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'try-it', runtime.url], {
      cwd: root,
      timeout: 30_000,
    });
    expect(stdout).toContain('approve a payment of 250.00 EUR to ACME Ltd');
    expect(stdout).toMatch(/"creditorName": "ACME Ltd"/);
    expect(stdout).toMatch(/"consent_id": "consent-42"/);
    expect(stdout).toContain('GET /demo/cats with it: HTTP 200');
    expect(stdout).toMatch(
      /6\. the receipt's audit member: \{"seq":5,"hash":"[A-Za-z0-9_-]{43}"\}/,
    );
    expect(stdout).toMatch(/: ok 5 events \(head seq 5, hash [A-Za-z0-9_-]{43}\) \(exit 0\)/);
  });

  it('takes --base-url as the smoke script does, and refuses a bad URL without a stack trace', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const run = (...args: string[]) =>
      promisify(execFile)('npm', ['run', '-s', 'try-it', '--', ...args], {
        cwd: root,
        timeout: 30_000,
      });
    const { stdout } = await run('--base-url', runtime.url);
    expect(stdout).toContain('GET /demo/cats with it: HTTP 200');
    const refused = await run('--base-url', 'localhost:3000').catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 2 });
    const { stderr } = refused as { stderr: string };
    expect(stderr).toContain('try-it: "localhost:3000" is not an http(s) URL');
    expect(stderr).not.toContain('    at ');
  });
});
