import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The bench's hop model and ceiling run (speed is never asserted: only what they count).
 * Each starts its own local runtime in a process of its own, as `npm run bench` does.
 */
const root = path.resolve(import.meta.dirname, '../..');
const run = async (script: string, env: Record<string, string> = {}) =>
  (
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts', script)],
      {
        cwd: root,
        env: { ...process.env, ...env },
        timeout: 120_000,
      },
    )
  ).stdout;

describe('npm run bench, the parts that count', () => {
  it('the hop model counts each call’s AWS requests on the local runtime', async () => {
    const out = await run('bench-hops.ts');
    const line = (call: string) => out.split('\n').find((l) => l.trim().startsWith(call)) ?? '';
    const counts = (call: string) =>
      Object.fromEntries(
        [...line(call).matchAll(/(\w+) (\d+)/g)].map(([, service, n]) => [service, Number(n)]),
      );
    expect(counts('start')).toEqual({
      APIGateway: 1,
      StepFunctions: 1,
      Lambda: 1,
      DynamoDB: 2,
      EventBridge: 1,
    });
    expect(counts('challenge')).toMatchObject({ DynamoDB: 2, EventBridge: 1, SES: 1 });
    // The token and the receipt: two KMS Sign; the success's event published by the API function.
    expect(counts('verify')).toMatchObject({ DynamoDB: 2, EventBridge: 1, KMS: 2 });
    expect(out).toMatch(/binding: .* of the service itself: KMS at 500 flows\/s/);
    expect(out).toMatch(/^estimated p50 ms: start \d+, challenge \d+, verify \d+$/m);
  });

  it('the stand-ins alone serve the recorded mix and say how fast', async () => {
    const out = await run('bench-ceiling.ts', { BENCH_FLOWS: '4', BENCH_CONCURRENCY: '2' });
    const { flowsPerSecond } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
    expect(flowsPerSecond).toBeGreaterThan(0);
  });
});
