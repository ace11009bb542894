import { startLocalRuntime } from '../local/runtime.js';

/**
 * The local runtime as the benchmarks use it: quiet, the seeded `demo` app, a POST that
 * throws on any refusal, and the newest code sent to an address.
 */
export const startBenchRuntime = async (options: { recordHops?: boolean } = {}) => {
  const runtime = await startLocalRuntime({
    ...options,
    clientId: 'demo',
    clientSecret: 'demo-secret',
    logLevel: 'error',
    logWrite: () => {},
  });
  const auth = `Basic ${Buffer.from('demo:demo-secret').toString('base64')}`;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${runtime.url}${path}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: a script reading its own answers loosely
    const json = (await response.json()) as Record<string, any>;
    if (!response.ok) throw new Error(`${path}: ${response.status} ${json.code}`);
    return json;
  };
  const lastCode = (to: string) =>
    /\d{6}/.exec(runtime.outbox.list(to).at(-1)?.body ?? '')?.[0] ?? '';
  return { runtime, post, lastCode };
};
