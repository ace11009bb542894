import { ConfigError, localConfigSchema, parseConfig } from '../shared/config.js';
import { startLocalRuntime } from './runtime.js';

/** `npm start`: the whole service on one machine. */
const start = async () => {
  const config = parseConfig(localConfigSchema, process.env);
  const runtime = await startLocalRuntime({
    port: config.PORT,
    host: config.HOST,
    dataDir: config.MFA_DATA_DIR,
    clientId: config.MFA_LOCAL_CLIENT_ID,
    clientSecret: config.MFA_LOCAL_CLIENT_SECRET,
    demoCatsMaxAgeSeconds: config.DEMO_CATS_MAX_AGE_SECONDS,
  });
  return { config, runtime };
};

// A bad setting is the operator's to fix: its message, no stack trace, exit code 1 (the
// runtime has already stopped whatever it had started).
const { config, runtime } = await start().catch((error: unknown) => {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  return process.exit(1);
});

const shown =
  config.HOST === '127.0.0.1' ? runtime.url.replace('127.0.0.1', 'localhost') : runtime.url;
process.stdout.write(
  `\nStep-up MFA service (local) ready at ${shown}\n` +
    `  app client: ${config.MFA_LOCAL_CLIENT_ID} (secret from MFA_LOCAL_CLIENT_SECRET, default demo-secret)\n` +
    `  outbox:     ${shown}/_local/outbox\n` +
    `  events:     ${shown}/_local/events\n` +
    `  data:       ${config.MFA_DATA_DIR ?? 'temporary (set MFA_DATA_DIR to keep it)'}\n\n`,
);
if (config.HOST !== '127.0.0.1' && config.HOST !== 'localhost') {
  process.stderr.write(
    'WARNING: HOST exposes the local outbox (one-time codes) beyond this machine.\n',
  );
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping\n`);
  await runtime.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
