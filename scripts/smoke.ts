/**
 * `npm run smoke -- --base-url URL [...]`: runs the full step-up flow against one deployment
 * (see smoke-flow.ts). Exit code 0 when every step passed, 1 otherwise (usage errors too).
 */
import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runSmoke } from './smoke-flow.js';

export { runSmoke, type SmokeOptions, type SmokeResult } from './smoke-flow.js';

export const USAGE = `Usage: npm run smoke -- --base-url URL [options]

  --base-url URL        the API: the stack's ApiUrl output, or http://localhost:3000 (npm start)
  --client-id ID        app client (default: env MFA_CLIENT_ID, else the local demo client)
  --client-secret S     its secret (default: env MFA_CLIENT_SECRET, else demo-secret);
                        prefer the variable: arguments are visible to other local users
  --factor email|totp   email (default): codes read from the message store;
                        totp: codes computed here, for deployments whose mail cannot be read
  --localstack          read emails from LocalStack's SES store (GET <outbox-url>/_aws/ses)
  --outbox-url URL      base URL of the message store (default: --base-url for the local
                        runtime's /_local/outbox, http://localhost:4566 with --localstack)
  -h, --help            this text

Every request times out after 10 s and the whole run after 60 s (with --localstack 30 s and
180 s: every function and task container starts cold there). A fresh random user is
enrolled each run; on AWS with --factor email the SES sandbox only delivers to verified
addresses, so use --factor totp there.
`;

/** The parsed arguments, or what is wrong with them. */
const parse = (argv: string[]) => {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        'base-url': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        factor: { type: 'string' },
        localstack: { type: 'boolean' },
        'outbox-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return (error as Error).message;
  }
};

/** Parses the arguments and runs; resolves with the exit code. */
export const runSmokeCli = async (
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> => {
  const parsed = parse(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`error: ${parsed}\n\n${USAGE}`);
    return 1;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const baseUrl = values['base-url'] ?? '';
  const factor = values.factor ?? 'email';
  let problem: string | undefined;
  if (!/^https?:\/\/./.test(baseUrl)) problem = '--base-url must be given as an http(s) URL';
  else if (factor !== 'email' && factor !== 'totp') problem = '--factor must be email or totp';
  if (problem) {
    process.stderr.write(`error: ${problem}\n\n${USAGE}`);
    return 1;
  }
  const result = await runSmoke({
    baseUrl,
    clientId: values['client-id'] ?? env.MFA_CLIENT_ID,
    clientSecret: values['client-secret'] ?? env.MFA_CLIENT_SECRET,
    factor: factor as 'email' | 'totp',
    localstack: values.localstack,
    outboxUrl: values['outbox-url'],
    // LocalStack starts a container per function on first use: cold starts take seconds.
    ...(values.localstack ? { requestTimeoutMs: 30_000, totalTimeoutMs: 180_000 } : {}),
  });
  return result.ok ? 0 : 1;
};

const isMain = () => {
  const entry = process.argv[1];
  return entry !== undefined && realpathSync(entry) === import.meta.filename;
};

if (isMain()) process.exitCode = await runSmokeCli(process.argv.slice(2));
