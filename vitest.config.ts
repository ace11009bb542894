import path from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import pkg from './package.json' with { type: 'json' };

/**
 * `step-up-mfa/constructs` and `step-up-mfa/client`, as the package's exports map names them,
 * resolved to the TypeScript sources their `dist/` targets are built from: the example apps
 * (examples/) import the package by name, and are tested against this checkout, unbuilt.
 * (tsconfig.json `paths` says the same to the type checker.)
 */
const sourceOf = (built: string) =>
  path.resolve(import.meta.dirname, built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
const selfImports = Object.entries(pkg.exports).flatMap(([subpath, target]) =>
  typeof target === 'string'
    ? []
    : [
        {
          find: new RegExp(`^${pkg.name}${subpath.slice(1)}$`),
          replacement: sourceOf(target.default),
        },
      ],
);

export default defineConfig({
  // Inherited by each project (`extends: true`).
  resolve: { alias: selfImports },
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
