import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizerConfigSchema } from '../../shared/authz/authorizer-config.js';
import { localConfigSchema, parseConfig, serviceConfigSchema } from '../../shared/config.js';

describe('config', () => {
  it('applies defaults and freezes the result', () => {
    const config = parseConfig(serviceConfigSchema, { TABLE_NAME: 't' });
    expect(config).toMatchObject({
      TABLE_NAME: 't',
      LOG_LEVEL: 'info',
      STATE_TOKEN_TTL_SECONDS: 300,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('fails with the names of missing or bad variables, not their values', () => {
    expect(() => parseConfig(serviceConfigSchema, { STATE_TOKEN_TTL_SECONDS: 'soon' })).toThrow(
      'Invalid configuration: TABLE_NAME, STATE_TOKEN_TTL_SECONDS',
    );
  });

  it('is documented: the README lists every authorizer variable too', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    for (const name of Object.keys(authorizerConfigSchema.shape)) {
      expect(readme, name).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
    }
  });

  it('is documented: the README configuration table lists every variable with its default', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    for (const schema of [serviceConfigSchema, localConfigSchema]) {
      for (const [name, field] of Object.entries(schema.shape)) {
        const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
        expect(row, `README row for ${name}`).toBeDefined();
        const fallback = (field as { def?: { defaultValue?: unknown } }).def?.defaultValue;
        if (fallback !== undefined) expect(row).toContain(`\`${String(fallback)}\``);
      }
    }
  });
});
