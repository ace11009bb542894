import { ConfigError, localConfigSchema, parseConfig } from '../shared/config.js';
import { PROJECT_ROOT, startLocalRuntime } from './runtime.js';
import { ensureTemplate, isTemplateStale } from './synth.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

// The functions take node:crypto through process.getBuiltinModule (Node.js 20.16 / 22.3).
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write(`Node.js ${process.versions.node} is too old: 20.16 or newer is needed.\n`);
  process.exit(1);
}

/**
 * The local runtime runs the state machine `cdk synth` makes: synthesized here when missing
 * or older than the CDK code, which takes a while (a minute on a small machine), so say so.
 */
const synthesizeIfStale = async () => {
  if (!(await isTemplateStale(PROJECT_ROOT))) return;
  say(
    'Synthesizing the CDK app (cdk.out is missing or older than infra/ and shared/): this takes a while on a first run…',
  );
  const startedMs = Date.now();
  const ticker = setInterval(
    () => say(`  still synthesizing (${Math.round((Date.now() - startedMs) / 1000)} s)…`),
    15_000,
  );
  try {
    await ensureTemplate(PROJECT_ROOT);
  } finally {
    clearInterval(ticker);
  }
  say(`Synthesized in ${Math.round((Date.now() - startedMs) / 1000)} s.`);
};

/** `npm start`: the whole service on one machine. */
const start = async () => {
  const config = parseConfig(localConfigSchema, process.env);
  await synthesizeIfStale();
  say('Starting the embedded DynamoDB, the SNS/SES/EventBridge endpoint and MfaFlow…');
  const runtime = await startLocalRuntime({
    port: config.PORT,
    host: config.HOST,
    dataDir: config.MFA_DATA_DIR,
    clientId: config.MFA_LOCAL_CLIENT_ID,
    clientSecret: config.MFA_LOCAL_CLIENT_SECRET,
    demoCatsMaxAgeSeconds: config.DEMO_CATS_MAX_AGE_SECONDS,
  });
  // Built now rather than on the first visit, so a broken page shows here, not in a browser.
  const demoPageProblem = await runtime.demoPage.build().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  return { config, runtime, demoPageProblem };
};

// A bad setting is the operator's to fix: its message, no stack trace, exit code 1 (the
// runtime has already stopped whatever it had started).
const { config, runtime, demoPageProblem } = await start().catch((error: unknown) => {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  return process.exit(1);
});

// The page signs in with the seeded app's well-known secret, the only one it may carry.
const seededApp =
  config.MFA_LOCAL_CLIENT_ID === 'demo' && config.MFA_LOCAL_CLIENT_SECRET === 'demo-secret';
const demoPageLine = (base: string) => {
  if (demoPageProblem) return `not built (${demoPageProblem})`;
  return seededApp ? `${base}/` : `${base}/ (signs in as demo / demo-secret: not this app client)`;
};
const shown =
  config.HOST === '127.0.0.1' ? runtime.url.replace('127.0.0.1', 'localhost') : runtime.url;
process.stdout.write(
  `\nStep-up MFA service (local) ready at ${shown}\n` +
    `  demo page:  ${demoPageLine(shown)}\n` +
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
