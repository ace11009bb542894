import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isProcessAlive, readRuntimeFile, runtimeFilePath } from '../local/runtime-file.js';
import { LOCAL_REGION } from '../local/template.js';
import {
  type ClientAdminStore,
  dynamoClientAdmin,
  UnknownClientError,
} from '../shared/adapters/aws/dynamo-client-admin.js';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/** A failure of the operation itself (exit code 2), as opposed to a usage error (exit code 1). */
export class OperationError extends Error {
  override readonly name = 'OperationError';
}

export interface TargetOptions {
  /** The running local runtime (found through `.local/runtime.json`). */
  readonly local?: boolean;
  /** A deployed stack's table name. */
  readonly table?: string;
  readonly region?: string;
  /** DynamoDB endpoint; unset: the SDK's own choice (`AWS_ENDPOINT_URL*` or AWS). */
  readonly endpoint?: string;
}

export interface ClientTarget {
  readonly admin: ClientAdminStore;
  /** Where the clients live, for messages: never credentials. */
  readonly description: string;
  close(): void;
}

const openLocal = async (root: string): Promise<ClientTarget> => {
  const file = runtimeFilePath(root);
  const info = await readRuntimeFile(file);
  if (!info) {
    const relative = path.relative(process.cwd(), file);
    const shown = relative.startsWith('..') ? file : relative;
    throw new OperationError(
      `No local runtime found (${shown} is missing): start the local runtime with npm start first, or pass --table for a deployed stack.`,
    );
  }
  if (!isProcessAlive(info.pid)) {
    throw new OperationError(
      `The local runtime recorded in ${file} (pid ${info.pid}) is not running: start the local runtime with npm start first.`,
    );
  }
  // The embedded DynamoDB accepts any credentials; fixed dummy ones keep a real AWS profile
  // from ever being sent to it, and nothing here can reach AWS.
  const ddb = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: info.dynamodbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
  return {
    admin: dynamoClientAdmin(ddb, info.tableName),
    description: `local runtime at ${info.url} (table ${info.tableName})`,
    close: () => ddb.destroy(),
  };
};

/** Opens the table the CLI administers: a deployed stack's, or the local runtime's. */
export const openTarget = async (
  options: TargetOptions,
  root = PROJECT_ROOT,
): Promise<ClientTarget> => {
  if (!options.table) return openLocal(root);
  // Credentials and, unless given, region and endpoint come from the SDK's default chains,
  // so AWS_PROFILE, SSO, AWS_REGION and AWS_ENDPOINT_URL (LocalStack) all work as usual.
  const ddb = new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const region = await ddb.config.region().catch(() => undefined);
  if (!region) {
    ddb.destroy();
    throw new OperationError('No AWS region: pass --region or set AWS_REGION.');
  }
  return {
    admin: dynamoClientAdmin(ddb, options.table),
    description: `table ${options.table} in ${region}${options.endpoint ? ` at ${options.endpoint}` : ''}`,
    close: () => ddb.destroy(),
  };
};

/** A one-line reason for an SDK or file error, without stack traces or request details. */
export const describeError = (error: unknown, target?: string): string => {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ResourceNotFoundException') return `${target ?? 'the table'}: table not found`;
  if (/ECONNREFUSED|ENOTFOUND|fetch failed/.test(message)) {
    return `${target ?? 'DynamoDB'}: cannot connect (${message})`;
  }
  if (error instanceof OperationError || error instanceof UnknownClientError) return message;
  return `${target ? `${target}: ` : ''}${name}: ${message}`;
};
