/**
 * `npm run client -- policy set|get|clear|test`: an app's policy (API.md "Policy (per app)").
 * Files are read and checked while the arguments are parsed, so a bad document is a usage
 * error (exit code 1) naming the path of its first problem, and nothing is written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ClientAdminStore } from '../shared/adapters/aws/dynamo-client-admin.js';
import {
  evaluatePolicy,
  type Policy,
  PolicyError,
  type PolicyStart,
  type PolicyState,
  parsePolicy,
} from '../shared/domain/policy/index.js';
import { MfaError } from '../shared/errors.js';
import { parseJsonBody } from '../shared/http/json-body.js';
import { startBody } from '../shared/http/schemas.js';
import { type CliOutput, InputError, UsageError } from './cli.js';

export const POLICY_ACTIONS = ['set', 'get', 'clear', 'test'] as const;
type Action = (typeof POLICY_ACTIONS)[number];

export type PolicyCommand =
  | { readonly action: 'set'; readonly id: string; readonly policy: Policy }
  | { readonly action: 'get' | 'clear'; readonly id: string }
  | {
      readonly action: 'test';
      /** The stored policy of this client, or else `policy`. */
      readonly id?: string;
      readonly policy?: Policy;
      readonly start: PolicyStart;
      readonly state: PolicyState;
    };

export interface PolicyOptions {
  readonly id?: string;
  readonly file?: string;
  readonly body?: string;
  readonly state?: string;
  readonly policy?: string;
}

/** Relative to where the operator ran `npm run` (npm itself runs scripts in the project root). */
const readInput = (option: string, file: string): string => {
  const resolved = path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
  try {
    return readFileSync(resolved, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError(`${option} ${file}: cannot read it (${code})`);
  }
};

const policyFrom = (option: string, file: string): Policy => {
  try {
    return parsePolicy(readInput(option, file));
  } catch (error) {
    if (error instanceof PolicyError) throw new InputError(`invalid_policy at ${error.message}`);
    throw error;
  }
};

/** The start body as the API reads it (same schema, same 16 KiB limit, same problem text). */
const startFrom = (text: string) => {
  const event = {
    body: text,
    isBase64Encoded: false,
    headers: { 'content-type': 'application/json' },
  };
  try {
    return parseJsonBody(event as unknown as APIGatewayProxyEvent, startBody);
  } catch (error) {
    if (error instanceof MfaError)
      throw new InputError(`start body: ${error.code}: ${error.message}`);
    throw error;
  }
};

const STATE_MEMBERS = ['sinceSca', 'trustedPayees', 'recurringSeries', 'rememberedDevices'];
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A user's policy state as the user item keeps it; only its shape is checked (a dry run). */
const stateFrom = (file: string): PolicyState => {
  let state: unknown;
  try {
    state = JSON.parse(readInput('--state', file));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`--state ${file}: is not JSON`);
  }
  if (!isObject(state)) throw new InputError(`--state ${file}: must be a JSON object`);
  for (const [member, value] of Object.entries(state)) {
    if (!STATE_MEMBERS.includes(member)) {
      throw new InputError(
        `--state ${file}: ${member} is not a known field (${STATE_MEMBERS.join(', ')})`,
      );
    }
    if (!isObject(value)) throw new InputError(`--state ${file}: ${member} must be an object`);
  }
  return state as PolicyState;
};

/** Checks the options of `policy <action>` and reads its files. */
export const parsePolicyCommand = (
  action: string | undefined,
  options: PolicyOptions,
): PolicyCommand => {
  if (action === undefined)
    throw new UsageError(`policy needs one of ${POLICY_ACTIONS.join(', ')}`);
  if (!POLICY_ACTIONS.includes(action as Action))
    throw new UsageError(`unknown policy command: ${action}`);
  const { id, file, body, state, policy } = options;
  if (action !== 'test') {
    const extra = (['body', 'state', 'policy'] as const).find(
      (name) => options[name] !== undefined,
    );
    if (extra) throw new UsageError(`--${extra} is only for policy test`);
    if (id === undefined) throw new UsageError(`policy ${action} needs --id`);
    if (action !== 'set') {
      if (file !== undefined) throw new UsageError(`policy ${action} takes no --file`);
      return { action: action as 'get' | 'clear', id };
    }
    if (file === undefined) throw new UsageError('policy set needs --file');
    return { action, id, policy: policyFrom('--file', file) };
  }
  if ((id === undefined) === (policy === undefined)) {
    throw new UsageError('policy test needs --id (the stored policy) or --policy FILE, not both');
  }
  if ((file === undefined) === (body === undefined)) {
    throw new UsageError('policy test needs the start body: --file FILE or --body JSON, not both');
  }
  return {
    action,
    id,
    policy: policy === undefined ? undefined : policyFrom('--policy', policy),
    start: startFrom(body ?? readInput('--file', file as string)),
    state: state === undefined ? {} : stateFrom(state),
  };
};

const NO_POLICY =
  'has no policy of its own: apps without one get DEFAULT_POLICY (the stack prop defaultPolicy), else require mfa';

/** Warm functions keep an app's client record (with its policy) for CLIENT_CACHE_SECONDS. */
const TAKES_EFFECT =
  'Running functions (and npm start) apply it within CLIENT_CACHE_SECONDS (default 60 s).\n';

/** Runs a policy command; `admin` opens the table, only for commands that need it. */
export const runPolicyCommand = async (
  command: PolicyCommand,
  admin: () => Promise<ClientAdminStore>,
  io: CliOutput,
  nowSeconds: number,
): Promise<unknown> => {
  switch (command.action) {
    case 'set': {
      const stored = await (await admin()).setPolicy(command.id, command.policy);
      io.stderr(TAKES_EFFECT);
      return stored;
    }
    case 'get': {
      const policy = await (await admin()).getPolicy(command.id);
      if (policy === undefined) io.stderr(`Client ${command.id} ${NO_POLICY}.\n`);
      return policy ?? null;
    }
    case 'clear':
      await (await admin()).clearPolicy(command.id);
      io.stderr(TAKES_EFFECT);
      return { clientId: command.id, policy: null };
    default: {
      // A dry run of a policy file reads nothing: it needs no table, nor a running runtime.
      let policy = command.policy;
      if (command.id !== undefined) {
        policy = await (await admin()).getPolicy(command.id);
        if (policy === undefined)
          io.stderr(`Client ${command.id} ${NO_POLICY}; evaluated with none.\n`);
      }
      return evaluatePolicy({
        policy,
        start: command.start,
        state: command.state,
        now: nowSeconds,
      });
    }
  }
};
