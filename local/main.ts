import { localConfigSchema, parseConfig, serviceConfigSchema } from '../shared/config.js';
import { startLocalRuntime } from './runtime.js';

/** `npm start`: the whole service on one machine. */
const config = parseConfig(localConfigSchema, process.env);
const logLevel = serviceConfigSchema.shape.LOG_LEVEL.parse(process.env.LOG_LEVEL);
const runtime = await startLocalRuntime({
  port: config.PORT,
  host: config.HOST,
  dataDir: config.MFA_DATA_DIR,
  clientId: config.MFA_LOCAL_CLIENT_ID,
  clientSecret: config.MFA_LOCAL_CLIENT_SECRET,
  logLevel,
  demoCatsMaxAgeSeconds: config.DEMO_CATS_MAX_AGE_SECONDS,
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
