import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';

/**
 * Headless, and quiet on a closed network: without the background-networking flags Chromium
 * keeps dialling Google's hosts and stalls. `--no-sandbox`: the tests run as root.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  readonly context: BrowserContext;
  /** Errors the pages raised or logged (CSP refusals, exceptions), besides HTTP error statuses. */
  readonly errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches the Chromium the `browser` project's setup found (test/browser/global-setup.ts)
 * with a fresh profile in a temp dir. No browser: throws the setup's one line saying how to
 * get one, so the tests fail rather than skip.
 */
export const launchChromium = async (): Promise<Browser> => {
  const lookup = inject('chromium');
  if ('problem' in lookup) {
    const missing = new Error(lookup.problem);
    missing.stack = `Error: ${lookup.problem}`; // the one line, without a trace
    throw missing;
  }
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'chromium-profile-'));
  const context = await chromium
    .launchPersistentContext(userDataDir, {
      executablePath: lookup.executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: 30_000,
    })
    .catch(async (error: unknown) => {
      await rm(userDataDir, { recursive: true, force: true });
      throw error;
    });
  const errors: string[] = [];
  return {
    context,
    errors,
    newPage: async () => {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        // A 4xx the page asked for is logged as "Failed to load resource": that is the demo.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
          errors.push(`console: ${message.text()}`);
      });
      return page;
    },
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
};
