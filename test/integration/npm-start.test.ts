import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

let output = '';
const waitForUrl = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    output = '';
    const timer = setTimeout(() => reject(new Error(`not ready in 45 s:\n${output}`)), 45_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /ready at (http:\/\/\S+)/.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited early (${code}):\n${output}`)));
  });

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => child.on('exit', () => resolve()));

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'serves /health and the demo page, then stops cleanly on %s leaving no process behind',
    async (signal) => {
      const child = spawn('npm', ['start', '--silent'], {
        cwd: root,
        detached: true, // its own process group, to check for orphans afterwards
        env: { ...process.env, PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const pgid = child.pid as number;
      try {
        const url = await waitForUrl(child);
        const health = await fetch(`${url}/health`);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok' });
        // The demo page's address, its script built before the runtime said it was ready.
        expect(output).toContain(`demo page:  ${url}/\n`);
        const page = await fetch(`${url}/`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await page.text()).toContain(
          '<script type="module" src="/_local/demo-page/app.js">',
        );
        const stopped = exited(child);
        // As a terminal does on Ctrl-C: the signal reaches npm, tsx and the service alike.
        process.kill(-pgid, signal);
        await stopped;
        for (let i = 0; i < 50 && groupAlive(pgid); i += 1)
          await new Promise((r) => setTimeout(r, 100));
        expect(groupAlive(pgid)).toBe(false);
        expect(output).toContain(`${signal}: stopping`);
      } finally {
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
      }
    },
    60_000,
  );
});
