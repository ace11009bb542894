/**
 * `npm run signing-key -- rotate`: rotates the ES256 key that signs MFA tokens where the key is
 * the service's own: the local runtime's key file, or a deployed stack in `envelope` signing
 * mode (a key sealed under the data key, kept in the table). In `kms` mode the keys are KMS
 * keys: rotate with SIGNING_KEY_IDS (README, "Signing key rotation"). Output is JSON on
 * stdout; messages go to stderr. Exit codes: 0 ok, 1 usage error, 2 the operation failed.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { isProcessAlive, readRuntimeFile, runtimeFilePath } from '../local/runtime-file.js';
import { tableOps } from '../shared/adapters/aws/dynamo-table.js';
import {
  dynamoSigningKeyStore,
  envelopeRetainSeconds,
  rotateEnvelopeSigningKey,
} from '../shared/adapters/aws/envelope-signer.js';
import { createKmsSecretBox } from '../shared/adapters/aws/kms-secret-box.js';
import { rotateFileSigningKey } from '../shared/adapters/file/file-signer.js';
import {
  type CliOutput,
  HELP,
  isMainModule,
  processOutput,
  runJsonCli,
  UsageError,
} from './cli.js';
import { describeError, OperationError, PROJECT_ROOT } from './client-target.js';

/**
 * Token life (900 s), verifiers' clock skew (60 s) and the time warm functions may still sign
 * with the old key (two re-reads, 600 s): no valid token loses its key.
 */
const DEFAULT_RETAIN_SECONDS = envelopeRetainSeconds(900);

export const USAGE = `Usage: npm run signing-key -- rotate [target] [--retain-seconds N]

Adds a new ES256 signing key; the key that signed until now is retired. Keys retired longer
than --retain-seconds ago (default ${DEFAULT_RETAIN_SECONDS}: the token life of 900 s, 60 s of
skew and 600 s in which warm functions may still sign with the old key; use
TOKEN_TTL_SECONDS + 660 if you changed the token life) lose their private half; every public
key stays in the JWKS for good (receipts it signed stay verifiable). Prints {kid} and, for
--table, the kids retired and those whose private half was dropped. Verifiers fetch the JWKS again when
they meet the new kid.

Target:
  --local                      the running local runtime (npm start); the default without --table
  --table NAME --key-id KEY    a stack deployed with signing 'envelope': its DynamoDB table and
                               its data key (ARN or id, output of the stack's MfaData); warm
                               functions sign with the new key within 5 minutes
  --region R                   AWS region (default: the AWS config chain, e.g. AWS_REGION)
  --endpoint URL               AWS endpoint for DynamoDB and KMS (e.g. LocalStack)
  -h, --help                   this text

In 'kms' signing mode the keys live in KMS: create a key and deploy with SIGNING_KEY_IDS
(README, "Signing key rotation").
`;

export interface SigningKeyIo extends CliOutput {
  /** The KMS client for --table (tests inject a stand-in; it is theirs to close). */
  readonly kms?: (options: { region?: string; endpoint?: string }) => KMSClient;
}

const parse = (argv: string[]) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      local: { type: 'boolean' },
      table: { type: 'string' },
      'key-id': { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      'retain-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return HELP;
  if (positionals.length !== 1 || positionals[0] !== 'rotate') {
    throw new UsageError('the one command is rotate');
  }
  if (values.local && values.table) throw new UsageError('give --local or --table, not both');
  if (values.table && !values['key-id']) throw new UsageError('--table needs --key-id');
  if (!values.table && (values['key-id'] || values.region || values.endpoint)) {
    throw new UsageError('--key-id, --region and --endpoint go with --table');
  }
  const retain = Number(values['retain-seconds'] ?? DEFAULT_RETAIN_SECONDS);
  if (!Number.isInteger(retain) || retain < 0) {
    throw new UsageError('--retain-seconds must be a whole number ≥ 0');
  }
  return {
    table: values.table,
    keyId: values['key-id'],
    region: values.region,
    endpoint: values.endpoint,
    retainSeconds: retain,
  };
};

type Parsed = Exclude<ReturnType<typeof parse>, typeof HELP>;

const rotateLocal = async (retainSeconds: number) => {
  const file = runtimeFilePath(PROJECT_ROOT);
  const info = await readRuntimeFile(file);
  if (!info?.keyDir || !isProcessAlive(info.pid)) {
    throw new OperationError(
      'No running local runtime found: start it with npm start first, or pass --table for a deployed stack.',
    );
  }
  const { kid } = await rotateFileSigningKey({
    dir: info.keyDir,
    now: () => new Date(),
    retainSeconds,
  });
  return { kid, target: `local runtime at ${info.url}` };
};

const rotateEnvelope = async (args: Parsed, io: SigningKeyIo) => {
  const options = {
    ...(args.region ? { region: args.region } : {}),
    ...(args.endpoint ? { endpoint: args.endpoint } : {}),
  };
  const ddb = new DynamoDBClient(options);
  const kms = io.kms?.(options) ?? new KMSClient(options);
  try {
    if (!(await ddb.config.region().catch(() => undefined))) {
      throw new OperationError('No AWS region: pass --region or set AWS_REGION.');
    }
    const result = await rotateEnvelopeSigningKey({
      store: dynamoSigningKeyStore(tableOps(ddb, args.table as string)),
      secretBox: createKmsSecretBox({ kms, keyId: args.keyId as string }),
      now: () => new Date(),
      retainSeconds: args.retainSeconds,
    });
    return { ...result, target: `table ${args.table}` };
  } finally {
    ddb.destroy();
    if (!io.kms) kms.destroy();
  }
};

/** Runs one CLI invocation; resolves with its exit code. */
export const runSigningKeyCli = (
  argv: string[],
  io: SigningKeyIo = processOutput,
): Promise<number> =>
  runJsonCli(argv, io, {
    usage: USAGE,
    parse,
    run: async (parsed) => {
      const { target, ...result } = parsed.table
        ? await rotateEnvelope(parsed, io)
        : await rotateLocal(parsed.retainSeconds);
      io.stderr(`New signing key ${result.kid} in the ${target}.\n`);
      return result;
    },
    describeFailure: (error, parsed) =>
      describeError(error, parsed.table ? `table ${parsed.table}` : undefined),
  });

if (isMainModule(import.meta.filename)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await runSigningKeyCli(process.argv.slice(2));
}
