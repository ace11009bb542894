import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../../local/runtime.js';
import type { Policy } from '../../shared/domain/policy/index.js';

export const CLIENT = { id: 'demo', secret: 'demo-secret' };

export const basicAuth = (id = CLIENT.id, secret = CLIENT.secret) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Starts the local runtime on a free port with its log lines collected for assertions. */
export const startTestRuntime = async (
  options: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime & { logs: string[] }> => {
  const logs: string[] = [];
  const runtime = await startLocalRuntime({
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    logLevel: 'debug',
    logWrite: (line) => logs.push(line),
    ...options,
  });
  return Object.assign(runtime, { logs });
};

/** POSTs JSON as an authenticated app. */
export const postJson = (base: string, path: string, body: unknown, auth = basicAuth()) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/**
 * Registers another app the way an operator would: its secret stored salted and hashed, and
 * its policy (as `npm run client -- policy set` stores it), if given. Returns its Basic auth.
 */
export const registerClient = async (clientId: string, secret: string, policy?: Policy) => {
  const { hashClientSecret } = await import('../../shared/domain/client-secret.js');
  const { deps } = await import('./deps.js');
  await deps().clients.put({
    clientId,
    name: clientId,
    salt: 's',
    secretHash: hashClientSecret(secret, 's'),
    ...(policy ? { policy } : {}),
  });
  return basicAuth(clientId, secret);
};
