import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalRuntime } from '../../local/runtime.js';
import { ConfigError } from '../../shared/config.js';

// Issue 11 item 9: a setting outside its range must stop `npm start` and fail a Lambda at
// init, naming the variable and its range, instead of a "ready" service answering 500.
const root = path.resolve(import.meta.dirname, '../..');
// Before a runtime started in this process points its env at local endpoints.
const baseEnv = { ...process.env };

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output until it exits; gives up after `timeoutMs` or when `stopOn` shows. */
const finish = (child: ChildProcess, timeoutMs: number, stopOn?: RegExp) =>
  new Promise<Finished & { timedOut: boolean }>((resolve) => {
    let stdout = '';
    let stderr = '';
    const done = (code: number | null, timedOut: boolean) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    };
    const timer = setTimeout(() => done(null, true), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stopOn?.test(stdout)) done(null, false);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => done(code, false));
  });

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

const npmStart = async (settings: Record<string, string>) => {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    detached: true, // its own process group, to check for orphans afterwards
    env: { ...baseEnv, PORT: '0', ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid as number;
  try {
    // Today's code prints "ready" and serves 500s: stop waiting as soon as it does.
    const result = await finish(child, 30_000, /ready at/);
    for (let i = 0; i < 50 && groupAlive(pgid); i += 1)
      await new Promise((r) => setTimeout(r, 100));
    return { ...result, orphans: groupAlive(pgid) };
  } finally {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  }
};

const expectRefused = (run: Awaited<ReturnType<typeof npmStart>>) => {
  expect(run.stdout).not.toContain('ready');
  expect(run.timedOut).toBe(false);
  expect(run.code).toBe(1);
  expect(run.orphans).toBe(false);
  expect(run.stderr).not.toMatch(/^\s+at /m); // no stack trace
};

/** Loads a function module the way the Lambda runtime does at init, in a fresh process. */
const lambdaInit = async (handler: string, env: Record<string, string>) => {
  const script = `import('./functions/${handler}.ts').then(
    () => console.log(JSON.stringify({ imported: true })),
    (e) => console.log(JSON.stringify({ name: e.name, message: e.message })),
  )`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    env: { PATH: baseEnv.PATH, HOME: baseEnv.HOME, TMPDIR: baseEnv.TMPDIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { stdout, stderr } = await finish(child, 30_000);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as { imported?: true; name?: string; message?: string };
  } catch {
    throw new Error(`no result from the child:\n${stdout}\n${stderr}`);
  }
};

const AUTHORIZER_ENV = {
  AWS_LAMBDA_FUNCTION_NAME: 'mfa-authorizer',
  MFA_ISSUER: 'https://mfa.example',
  MFA_AUDIENCES: '*',
  MFA_JWKS_URL: 'https://mfa.example/.well-known/jwks.json',
};

describe('a setting outside its range fails fast, naming it', () => {
  it('npm start exits 1 without "ready", naming FACTOR_LOCK_SECONDS and its range', async () => {
    const run = await npmStart({ FACTOR_LOCK_SECONDS: '2' });
    expectRefused(run);
    expect(run.stderr.trim()).toBe(
      'Invalid configuration: FACTOR_LOCK_SECONDS must be an integer from 60 to 86400 (got a value below 60)',
    );
  }, 45_000);

  it('npm start names every bad choice, one line each', async () => {
    const run = await npmStart({ SIGNING_MODE: 'hsm-7731', LOG_LEVEL: 'chatty-7731' });
    expectRefused(run);
    expect(run.stderr).toContain(
      '  LOG_LEVEL must be one of debug, info, warn, error (got another value)\n',
    );
    expect(run.stderr).toContain(
      '  SIGNING_MODE must be one of kms, envelope (got another value)\n',
    );
    expect(run.stderr).not.toContain('7731');
  }, 45_000);

  it('a service function fails its Lambda init, not its first request', async () => {
    const good = { TABLE_NAME: 't', AWS_LAMBDA_FUNCTION_NAME: 'mfa-health' };
    expect(await lambdaInit('health', good)).toEqual({ imported: true });
    expect(await lambdaInit('health', { ...good, FACTOR_LOCK_SECONDS: '2' })).toEqual({
      name: 'ConfigError',
      message:
        'Invalid configuration: FACTOR_LOCK_SECONDS must be an integer from 60 to 86400 (got a value below 60)',
    });
    // A `MfaFlow` task function the same way.
    expect(await lambdaInit('flow-start', { ...good, OTP_DIGITS: '9' })).toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('OTP_DIGITS must be an integer from 6 to 8'),
    });
  }, 60_000);

  it('the authorizer fails its Lambda init', async () => {
    expect(await lambdaInit('authorizer', AUTHORIZER_ENV)).toEqual({ imported: true });
    expect(
      await lambdaInit('authorizer', { ...AUTHORIZER_ENV, MFA_DEFAULT_MAX_AGE_SECONDS: '99999' }),
    ).toEqual({
      name: 'ConfigError',
      message:
        'Invalid configuration: MFA_DEFAULT_MAX_AGE_SECONDS must be an integer from 0 to 86400 (got a value above 86400)',
    });
  }, 60_000);

  it('startLocalRuntime rejects with the same error and stops what it had started', async () => {
    const servers = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
    const before = servers();
    // Its own TMPDIR, to see the runtime's temporary data dir go.
    const tmp = await mkdtemp(path.join(tmpdir(), 'config-fail-fast-'));
    process.env.TMPDIR = tmp;
    try {
      const failed = startLocalRuntime({
        clientId: 'demo',
        clientSecret: 'demo-secret',
        logWrite: () => {},
        env: { FACTOR_LOCK_SECONDS: '2' },
      });
      await expect(failed).rejects.toThrow(ConfigError);
      await expect(failed).rejects.toThrow(
        /^Invalid configuration: FACTOR_LOCK_SECONDS must be an integer from 60 to 86400/,
      );
      expect(servers()).toBe(before);
      expect(await readdir(tmp)).toEqual([]);
      expect(process.env.FACTOR_LOCK_SECONDS).toBeUndefined();
    } finally {
      if (baseEnv.TMPDIR === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = baseEnv.TMPDIR;
      await rm(tmp, { recursive: true, force: true });
    }
    // The refused setting left nothing behind: a good runtime starts in the same process.
    const runtime = await startLocalRuntime({
      clientId: 'demo',
      clientSecret: 'demo-secret',
      logWrite: () => {},
    });
    try {
      expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
    } finally {
      await runtime.close();
    }
    expect(servers()).toBe(before);
  }, 60_000);
});
