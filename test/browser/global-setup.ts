import type { TestProject } from 'vitest/node';
import { ensureChromium } from '../support/chromium.js';

/**
 * Runs once per `vitest run` that includes a browser test (it is the `browser` project's own
 * setup): finds Debian's Chromium, installing it when missing and allowed, and hands the
 * result to the tests, which fail with its one-line `problem` when there is no browser.
 */
export default function setup(project: TestProject): void {
  project.provide(
    'chromium',
    ensureChromium((line) => process.stderr.write(`${line}\n`)),
  );
}
