import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizerSettings } from '../../shared/authz/authorizer-config.js';
import {
  ConfigError,
  localConfigSchema,
  parseConfig,
  serviceConfigSchema,
} from '../../shared/config.js';
import type { Settings } from '../../shared/settings.js';

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

  describe('a bad setting', () => {
    // Recognisable, so a test can tell the value never reaches the message.
    const secretish = 'Zq7-not-for-logs';
    const failure = (schema: Settings, env: Record<string, string>) => {
      try {
        parseConfig(schema, env);
      } catch (error) {
        return error as Error;
      }
      throw new Error('no failure');
    };
    const messageOf = (env: Record<string, string>) =>
      failure(serviceConfigSchema, { TABLE_NAME: 't', ...env }).message;

    it.each([
      [
        'below its range',
        { FACTOR_LOCK_SECONDS: '2' },
        'FACTOR_LOCK_SECONDS must be an integer from 60 to 86400 (got a value below 60)',
      ],
      [
        'above its range',
        { FACTOR_LOCK_SECONDS: '86401' },
        'FACTOR_LOCK_SECONDS must be an integer from 60 to 86400 (got a value above 86400)',
      ],
      [
        'not an integer',
        { OTP_DIGITS: '6.5' },
        'OTP_DIGITS must be an integer from 6 to 8 (got something other than decimal digits)',
      ],
      [
        'hexadecimal (coercion would read 30)',
        { RESEND_COOLDOWN_SECONDS: '0x1e' },
        'RESEND_COOLDOWN_SECONDS must be an integer from 0 to 600 (got something other than decimal digits)',
      ],
      [
        'a space (coercion would read 0: no limit)',
        { SMS_PER_APP_PER_HOUR: ' ' },
        'SMS_PER_APP_PER_HOUR must be an integer from 0 to 1000000 (got something other than decimal digits)',
      ],
      [
        'an exponent',
        { OTP_TTL_SECONDS: '3e2' },
        'OTP_TTL_SECONDS must be an integer from 30 to 900 (got something other than decimal digits)',
      ],
      [
        'not a number',
        { OTP_TTL_SECONDS: secretish },
        'OTP_TTL_SECONDS must be an integer from 30 to 900 (got something other than decimal digits)',
      ],
      [
        'empty',
        { FACTOR_LOCK_THRESHOLD: '' },
        'FACTOR_LOCK_THRESHOLD must be an integer from 2 to 100 (got an empty value)',
      ],
      [
        'not one of its choices',
        { SIGNING_MODE: secretish },
        'SIGNING_MODE must be one of kms, envelope (got another value)',
      ],
      [
        'not an email address',
        { EMAIL_SENDER: secretish },
        'EMAIL_SENDER must be an email address (got a value that is not an email address)',
      ],
      [
        'a bad item of a list',
        { SMS_ALLOWED_COUNTRIES: `GB,${secretish}` },
        'SMS_ALLOWED_COUNTRIES must be a non-empty list, each text matching /^[A-Z]{2}$/ (item 2: got a value not matching /^[A-Z]{2}$/)',
      ],
    ])('%s: one line with the name, the rule from the schema and the problem', (_, env, line) => {
      const error = failure(serviceConfigSchema, { TABLE_NAME: 't', ...env });
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.name).toBe('ConfigError');
      expect(error.message).toBe(`Invalid configuration: ${line}`);
    });

    it('lists every bad variable, one line each, a missing one as not set', () => {
      expect(messageOf({ TABLE_NAME: '' })).toBe(
        'Invalid configuration: TABLE_NAME must be non-empty text (got an empty value)',
      );
      expect(
        failure(serviceConfigSchema, {
          STATE_TOKEN_TTL_SECONDS: 'soon',
          LOG_LEVEL: 'loud',
          MFA_ISSUER: secretish,
        }).message,
      ).toBe(
        [
          'Invalid configuration:',
          '  TABLE_NAME must be non-empty text (not set)',
          '  LOG_LEVEL must be one of debug, info, warn, error (got another value)',
          '  MFA_ISSUER must be a URL whose protocol matches /^https?$/ (got a value that is not an accepted URL)',
          '  STATE_TOKEN_TTL_SECONDS must be an integer from 30 to 3600 (got something other than decimal digits)',
        ].join('\n'),
      );
    });

    it('never echoes a value, a secret included', () => {
      const local = failure(localConfigSchema, {
        MFA_LOCAL_CLIENT_SECRET: 'Zq7',
        PORT: secretish,
      }).message;
      expect(local).toContain(
        'MFA_LOCAL_CLIENT_SECRET must be text of at least 8 characters (got fewer than 8 characters)',
      );
      expect(local).toContain('PORT must be an integer from 0 to 65535');
      expect(local).not.toContain('Zq7');
      const service = messageOf({
        SMS_SENDER_ID: `${secretish}!`,
        MFA_ISSUER_NAME: secretish.repeat(10),
        EMAIL_SENDER: secretish,
        SIGNING_MODE: secretish,
      });
      expect(service.split('\n')).toHaveLength(5);
      expect(service).not.toContain('Zq7');
    });

    it('names the field inside a JSON setting (the authorizer route policies)', () => {
      const error = failure(authorizerSettings, {
        MFA_ISSUER: 'https://mfa.example',
        MFA_AUDIENCES: '*',
        MFA_JWKS_URL: 'https://mfa.example/.well-known/jwks.json',
        MFA_ROUTE_POLICIES: `{"GET /x":{"maxAge":"${secretish}"}}`,
        LOG_LEVEL: secretish,
      });
      expect(error.message).toBe(
        [
          'Invalid configuration:',
          '  MFA_ROUTE_POLICIES must be a JSON object of "METHOD /path": { "maxAge": seconds, "acr"?: values } (GET /x: maxAge is not an integer from 0 to 86400)',
          '  LOG_LEVEL must be one of debug, info, warn, error (got another value)',
        ].join('\n'),
      );
    });
  });

  it('is documented: the README lists every authorizer variable too', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    for (const name of Object.keys(authorizerSettings)) {
      expect(readme, name).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
    }
  });

  it('is documented: the README configuration table lists every variable with its default', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    for (const schema of [serviceConfigSchema, localConfigSchema]) {
      for (const [name, setting] of Object.entries(schema as Settings)) {
        const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
        expect(row, `README row for ${name}`).toBeDefined();
        // A long list (the SMS countries) is summarised in the README, not spelled out.
        const summarised =
          Array.isArray(setting.fallback?.value) && setting.fallback.shown.length > 40;
        if (setting.fallback && !summarised) expect(row).toContain(`\`${setting.fallback.shown}\``);
      }
    }
  });
});
