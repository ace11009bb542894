import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Files holding local key material: created with mode 0600 in a folder created 0700, and
 * always written whole (temp file, fsync, then link or rename), so a reader never sees half
 * a key and a crash never leaves an empty key file behind.
 */

const isErrno = (error: unknown, code: string): boolean =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === code;

/**
 * Writes `data` to `path` atomically with mode 0600. With `exclusive`, the file is only
 * created, never replaced: `link` fails when the name exists, so of two processes creating
 * the same key file at once exactly one wins; the result says whether this call did.
 */
export const writeFileAtomic = async (
  path: string,
  data: string | Uint8Array,
  options: { readonly exclusive: boolean },
): Promise<boolean> => {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!options.exclusive) {
      await rename(temp, path);
      return true;
    }
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return false;
      throw error;
    }
  } finally {
    await rm(temp, { force: true });
  }
};

/** The contents of `path`, or `undefined` when it does not exist. */
export const readFileIfExists = async (path: string): Promise<Buffer | undefined> => {
  try {
    return await readFile(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
};

/** Creations in flight in this process, by absolute path. */
const creating = new Map<string, Promise<Buffer>>();

/**
 * The contents of `path`; when it does not exist, `create()` makes them and they are written
 * with {@link writeFileAtomic} (exclusive). Concurrent callers in one process share one
 * creation; a creation lost to another process yields the winner's file, so every caller
 * ends up with the same bytes.
 */
export const readOrCreateFile = async (
  path: string,
  create: () => Uint8Array | string | Promise<Uint8Array | string>,
): Promise<Buffer> => {
  const absolute = resolve(path);
  const existing = await readFileIfExists(absolute);
  if (existing) return existing;
  const running = creating.get(absolute);
  if (running) return running;
  const creation = (async () => {
    const data = await create();
    const created = await writeFileAtomic(absolute, data, { exclusive: true });
    return created ? Buffer.from(data) : readFile(absolute);
  })();
  creating.set(absolute, creation);
  try {
    return await creation;
  } finally {
    creating.delete(absolute);
  }
};

/** Operations queued per path in this process (read-modify-write of one key file). */
const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task queued for the same `path` in this process. */
export const serializeByPath = <T>(path: string, task: () => Promise<T>): Promise<T> => {
  const absolute = resolve(path);
  const previous = queues.get(absolute) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(absolute, settled);
  settled.then(() => {
    if (queues.get(absolute) === settled) queues.delete(absolute);
  });
  return next;
};
