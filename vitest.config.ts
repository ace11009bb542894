import path from 'node:path';
import { defineConfig } from 'vitest/config';
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
  resolve: { alias: selfImports },
  test: {
    include: ['test/**/*.test.ts'],
    // Each file in its own process: a local runtime points its process's SDK at its endpoints.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.test-results.json' }]],
  },
});
