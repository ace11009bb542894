import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `.local/runtime.json`: how tools on this machine (the admin CLI's `--local` mode) find a
 * running local runtime and its embedded DynamoDB. The runtime writes it once its table
 * exists and removes it on close.
 */
export interface RuntimeFile {
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  readonly url: string;
  /** The key files (`LOCAL_KEY_DIR`): the signing-key CLI rotates the token key there. */
  readonly keyDir?: string;
  readonly pid: number;
}

/** `MFA_RUNTIME_FILE` moves it (tests, or two checkouts sharing nothing). */
export const runtimeFilePath = (root: string): string =>
  process.env.MFA_RUNTIME_FILE ?? path.join(root, '.local', 'runtime.json');

/** Whether a process with this id exists (a signal 0 probe; EPERM means it exists). */
export const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The file's content; `undefined` when there is none or it is not a runtime file. */
export const readRuntimeFile = async (file: string): Promise<RuntimeFile | undefined> => {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<RuntimeFile>;
    const valid =
      typeof parsed.dynamodbEndpoint === 'string' &&
      typeof parsed.tableName === 'string' &&
      typeof parsed.url === 'string' &&
      Number.isInteger(parsed.pid);
    return valid ? (parsed as RuntimeFile) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Writes the file for this process, unless it names another live runtime: the first runtime
 * keeps it, so a test run (whose runtimes come and go) never hijacks the `npm start` that a
 * developer's CLI is talking to. Written to a temporary name and renamed, so a reader never
 * sees half a file.
 */
export const writeRuntimeFile = async (
  root: string,
  info: Omit<RuntimeFile, 'pid'>,
): Promise<void> => {
  const file = runtimeFilePath(root);
  const existing = await readRuntimeFile(file);
  if (existing && existing.pid !== process.pid && isProcessAlive(existing.pid)) return;
  const content: RuntimeFile = { ...info, pid: process.pid };
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
};

/** Removes the file if this process wrote it (another runtime's file is left alone). */
export const removeRuntimeFile = async (root: string): Promise<void> => {
  const file = runtimeFilePath(root);
  const existing = await readRuntimeFile(file);
  if (existing?.pid === process.pid) await rm(file, { force: true });
};
