import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Debian's package puts its launcher here. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** What the browser tests get: the browser to launch, or the one line that says how to get one. */
export type ChromiumLookup = { readonly executablePath: string } | { readonly problem: string };

declare module 'vitest' {
  export interface ProvidedContext {
    /** Provided by test/browser/global-setup.ts. */
    chromium: ChromiumLookup;
  }
}

const HOW_TO_GET_IT =
  'install Debian\'s chromium as root ("apt-get install -y chromium") or set CHROMIUM_PATH to a Chromium binary';

const isExecutable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The last non-empty line a failed command printed, for the one-line reason. */
const lastLine = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1) ?? '';

const aptGet = (args: string[]) =>
  spawnSync('apt-get', args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/**
 * Finds the Chromium the browser tests drive: `CHROMIUM_PATH`, else Debian's
 * `/usr/bin/chromium`. When that is missing and this process may install packages (root, with
 * apt-get), it installs Debian's `chromium` (never Playwright's own browser builds: they are
 * downloaded from a host this network does not reach). Never throws: a browser it cannot get
 * is a `problem`, one line that the tests fail with.
 */
export const ensureChromium = (log: (line: string) => void = () => {}): ChromiumLookup => {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    return isExecutable(explicit)
      ? { executablePath: explicit }
      : { problem: `CHROMIUM_PATH=${explicit} is not an executable file: ${HOW_TO_GET_IT}` };
  }
  if (isExecutable(DEFAULT_CHROMIUM_PATH)) return { executablePath: DEFAULT_CHROMIUM_PATH };
  const root = process.getuid?.() === 0;
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!root || !apt) {
    return { problem: `Chromium is missing (no ${DEFAULT_CHROMIUM_PATH}): ${HOW_TO_GET_IT}` };
  }
  log("browser tests: installing Debian's chromium (apt-get install -y chromium)…");
  const update = aptGet(['update', '-qq']);
  const install =
    update.status === 0
      ? aptGet(['install', '-y', '-qq', '--no-install-recommends', 'chromium'])
      : update;
  if (install.status === 0 && isExecutable(DEFAULT_CHROMIUM_PATH)) {
    log(`browser tests: chromium installed at ${DEFAULT_CHROMIUM_PATH}`);
    return { executablePath: DEFAULT_CHROMIUM_PATH };
  }
  const step = update.status === 0 ? 'apt-get install -y chromium' : 'apt-get update';
  const reason = lastLine(install.stderr || install.stdout || '') || `exit ${install.status}`;
  return { problem: `Chromium is missing and ${step} failed (${reason}): ${HOW_TO_GET_IT}` };
};
