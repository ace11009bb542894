/**
 * `npm run client -- <command>`: registers the apps (API clients) that call `/v1/*`. Secrets
 * are 256-bit random values printed once, stored only as a salted SHA-256. Output is JSON on
 * stdout; messages go to stderr. Exit codes: 0 ok, 1 usage error, 2 the operation failed.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CLIENT_ID, hashClientSecret } from '../shared/domain/client-secret.js';
import { toDisplayText } from '../shared/domain/display-text.js';
import {
  type CliOutput,
  HELP,
  isMainModule,
  processOutput,
  runJsonCli,
  UsageError,
} from './cli.js';
import { parsePolicyCommand, runPolicyCommand } from './client-policy.js';
import {
  type ClientTarget,
  describeError,
  OperationError,
  openTarget,
  type TargetOptions,
} from './client-target.js';

export const USAGE = `Usage: npm run client -- <command> [options] [target]

Commands:
  create --name NAME [--id ID]  register an app; prints {clientId, name, clientSecret}
                                (NAME: 1-128 characters, no control or invisible format
                                characters, stored in NFC;
                                ID: 1-64 of A-Z a-z 0-9 . _ -; default app_ + 12 random chars)
  list                          registered apps: {clients: [{clientId, name}]} (scans the table)
  rotate-secret --id ID         a new secret for an app; prints {clientId, name, clientSecret}
  delete --id ID                remove an app
  policy set --id ID --file FILE
                                validate a policy document (API.md "Policy (per app)") and
                                store it with the app; prints it as stored. An invalid one:
                                exit 1, invalid_policy and the path of its first problem
  policy get --id ID            the app's own policy (null: none; then DEFAULT_POLICY, the
                                stack's defaultPolicy, applies, else require mfa)
  policy clear --id ID          remove the app's own policy
  policy test (--id ID | --policy FILE) (--file START.json | --body JSON) [--state STATE.json]
                                dry run: what the stored policy (--id) or a policy file
                                (--policy: no table needed) decides for a start body (API.md
                                "Start"); prints {decision, rule, exemption, level, trace}.
                                --state: the user's policy state (default {}: a new user)

Target:
  --local                       the running local runtime (npm start); the default without --table
  --table NAME                  a deployed stack's DynamoDB table (its physical name)
  --region R                    AWS region (default: the AWS config chain, e.g. AWS_REGION)
  --endpoint URL                DynamoDB endpoint (default: AWS_ENDPOINT_URL*, e.g. LocalStack)
  -h, --help                    this text

AWS credentials for --table come from the default chain (environment, profile, SSO, role).
The secret is shown once: store it in your app's secret store. A lost secret cannot be
recovered; rotate it.

Caching: each warm function (and the local runtime) trusts a client record it has read for
CLIENT_CACHE_SECONDS (default 60 s). A new or rotated secret works at once; a deleted app,
and a rotated-out secret in a function that cached it, can keep working up to that long;
a policy set or cleared reaches every function within that time too.
Deleting an app does not delete the factors its users enrolled.
`;

const COMMANDS = ['create', 'list', 'rotate-secret', 'delete', 'policy'];
const POLICY_OPTIONS = ['file', 'body', 'state', 'policy'] as const;
// The display-text rule of the API: names end up in terminals, logs and consoles.
const MAX_CLIENT_NAME_CHARACTERS = 128;

export interface CliIo extends CliOutput {
  /** Opens the table (tests may substitute a target). */
  readonly openTarget?: (options: TargetOptions) => Promise<ClientTarget>;
}

/** A new secret and what is stored of it. */
const newSecret = () => {
  const clientSecret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  return { clientSecret, salt, secretHash: hashClientSecret(clientSecret, salt) };
};

const parse = (argv: string[]) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      id: { type: 'string' },
      local: { type: 'boolean' },
      table: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      file: { type: 'string' },
      body: { type: 'string' },
      state: { type: 'string' },
      policy: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help) return HELP;
  if (!command) throw new UsageError('a command is required');
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command: ${command}`);
  const [action, ...extra] = command === 'policy' ? rest : [undefined, ...rest];
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (values.local && values.table) throw new UsageError('--local and --table exclude each other');
  if (!values.table && (values.region || values.endpoint)) {
    throw new UsageError('--region and --endpoint need --table');
  }
  if (values.id !== undefined && !CLIENT_ID.test(values.id)) {
    throw new UsageError('--id must be 1-64 characters of A-Z a-z 0-9 . _ -');
  }
  const target: TargetOptions = {
    local: !values.table,
    table: values.table,
    region: values.region,
    endpoint: values.endpoint,
  };
  if (command === 'policy') {
    if (values.name !== undefined) throw new UsageError('--name is only for create');
    return { command, target, policy: parsePolicyCommand(action, values) };
  }
  const option = POLICY_OPTIONS.find((name) => values[name] !== undefined);
  if (option) throw new UsageError(`--${option} is only for policy commands`);
  const needsId = command === 'rotate-secret' || command === 'delete';
  if (needsId && values.id === undefined) throw new UsageError(`${command} needs --id`);
  let name: string | undefined;
  if (command === 'create') {
    if (values.name === undefined) throw new UsageError('create needs --name');
    const checked = toDisplayText(values.name.trim(), MAX_CLIENT_NAME_CHARACTERS);
    if (!checked.ok) throw new UsageError(`--name ${checked.message}`);
    name = checked.value;
  } else if (values.name !== undefined) {
    throw new UsageError('--name is only for create');
  }
  if (command === 'list' && values.id !== undefined) throw new UsageError('list takes no --id');
  return { command, id: values.id, name, target };
};

const run = async (
  command: string,
  args: { id?: string; name?: string },
  target: ClientTarget,
): Promise<unknown> => {
  const { admin } = target;
  switch (command) {
    case 'create': {
      const clientId = args.id ?? `app_${randomBytes(9).toString('base64url')}`;
      const name = args.name as string;
      const { clientSecret, salt, secretHash } = newSecret();
      if (!(await admin.create({ clientId, name, salt, secretHash }))) {
        throw new OperationError(`client ${clientId} already exists (use rotate-secret)`);
      }
      return { clientId, name, clientSecret };
    }
    case 'rotate-secret': {
      const clientId = args.id as string;
      const { clientSecret, salt, secretHash } = newSecret();
      const updated = await admin.replaceSecret(clientId, salt, secretHash);
      if (!updated) throw new OperationError(`no client ${clientId}`);
      return { clientId, name: updated.name, clientSecret };
    }
    case 'delete': {
      const clientId = args.id as string;
      if (!(await admin.delete(clientId))) throw new OperationError(`no client ${clientId}`);
      return { clientId, deleted: true };
    }
    default:
      return { clients: await admin.list() };
  }
};

/** Runs one CLI invocation; resolves with its exit code. */
export const runClientCli = async (argv: string[], io: CliIo = processOutput): Promise<number> => {
  let target: ClientTarget | undefined;
  return runJsonCli(argv, io, {
    usage: USAGE,
    parse,
    run: async (parsed) => {
      const open = async () => {
        target = await (io.openTarget ?? openTarget)(parsed.target);
        return target;
      };
      try {
        if (parsed.policy) {
          const admin = async () => (await open()).admin;
          return await runPolicyCommand(parsed.policy, admin, io, Math.floor(Date.now() / 1000));
        }
        const opened = await open();
        const result = await run(parsed.command, parsed, opened);
        if (parsed.command === 'create' || parsed.command === 'rotate-secret') {
          io.stderr(
            `Secret shown once; stored only as a salted hash in the ${opened.description}.\n`,
          );
        }
        return result;
      } finally {
        target?.close();
      }
    },
    describeFailure: (error) => describeError(error, target?.description),
  });
};

if (isMainModule(import.meta.filename)) {
  // Versions are pinned by the lockfile; the SDK's Node 20 notice would only bury the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await runClientCli(process.argv.slice(2));
}
