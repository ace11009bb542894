import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `include` is per project: `extends: true` would add a root one to each project's list.
    // Each file in its own process: a local runtime points its process's SDK at its endpoints.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.test-results.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'service',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/browser/**'],
        },
      },
      {
        // The demo page in Debian's Chromium. Its setup (finding or installing the browser)
        // runs only when a run includes these files.
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/global-setup.ts'],
        },
      },
    ],
  },
});
