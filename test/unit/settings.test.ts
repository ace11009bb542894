import { describe, expect, it } from 'vitest';
import { authorizerSettings } from '../../shared/authz/authorizer-config.js';
import { localConfigSchema, parseConfig, serviceConfigSchema } from '../../shared/config.js';
import {
  ConfigError,
  httpUrl,
  int,
  list,
  optional,
  parseSettings,
  pickSettings,
  required,
  type Settings,
  text,
  withDefault,
} from '../../shared/settings.js';

const messageOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no failure');
};

describe('settings (the service configuration without a schema library)', () => {
  it('reads defaults through their own rule, and leaves an unset optional setting out', () => {
    const config = parseSettings(
      {
        WAIT: withDefault(int(1, 10), 5, 'd'),
        NAME: optional(text(1), 'd'),
        ORIGINS: withDefault(
          list(/^https:\/\/[a-z.]+$/),
          ['https://a.example'],
          'd',
          'https://a.example',
        ),
      },
      {},
    );
    expect(config).toEqual({ WAIT: 5, ORIGINS: ['https://a.example'] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('has defaults that keep their own rules, shown as the variable would say them', () => {
    for (const settings of [
      serviceConfigSchema,
      localConfigSchema,
      authorizerSettings,
    ] as Settings[]) {
      for (const [name, setting] of Object.entries(settings)) {
        if (!setting.fallback) continue;
        const reading = setting.read(setting.fallback.shown);
        expect(reading, name).toEqual({ ok: true, value: setting.fallback.value });
      }
    }
  });

  it('says what display text must not contain, never the text', () => {
    const message = messageOf(() =>
      parseConfig(serviceConfigSchema, { TABLE_NAME: 't', MFA_ISSUER_NAME: '\u202eEvil Corp' }),
    );
    expect(message).toBe(
      'Invalid configuration: MFA_ISSUER_NAME must be text (must not contain invisible format characters (bidi controls such as U+202E, zero-width characters such as U+200B, U+FEFF))',
    );
    expect(message).not.toContain('Evil');
  });

  it('keeps display text in its NFC form', () => {
    const config = parseConfig(serviceConfigSchema, {
      TABLE_NAME: 't',
      MFA_ISSUER_NAME: 'Mu\u0308ller Bank',
    });
    expect(config.MFA_ISSUER_NAME).toBe('M\u00fcller Bank');
  });

  it('accepts http(s) URLs only, trimmed', () => {
    const url = required(httpUrl(), 'd');
    expect(parseSettings({ URL: url }, { URL: ' https://mfa.example/x ' }).URL).toBe(
      'https://mfa.example/x',
    );
    for (const bad of [
      'ftp://mfa.example',
      'https:/mfa.example',
      'mfa.example',
      'http://exa\nmple',
    ]) {
      expect(messageOf(() => parseSettings({ URL: url }, { URL: bad }))).toBe(
        'Invalid configuration: URL must be a URL whose protocol matches /^https?$/ (got a value that is not an accepted URL)',
      );
    }
  });

  it('refuses a URL the parser refuses, however warm the check (URL.canParse was not)', () => {
    const url = required(httpUrl(), 'd');
    const bad = 'https://a\u00df\u00a0/';
    for (let i = 0; i < 100_000; i += 1) url.read(`https://x${i}.example`);
    expect('ok' in url.read(bad)).toBe(false);
  });

  it('gives lists that cannot be changed, a default one included', () => {
    const config = parseConfig(serviceConfigSchema, {
      TABLE_NAME: 't',
      WEBAUTHN_ORIGINS: 'https://a.example',
    });
    expect(Object.isFrozen(config.SMS_ALLOWED_COUNTRIES)).toBe(true);
    expect(Object.isFrozen(config.WEBAUTHN_ORIGINS)).toBe(true);
  });

  it('names an empty list and an unset required setting', () => {
    expect(
      messageOf(() =>
        parseSettings(
          { LIST: required(list(/^[A-Z]{2}$/), 'd'), NEEDED: required(text(1), 'd') },
          { LIST: ' , ' },
        ),
      ),
    ).toBe(
      [
        'Invalid configuration:',
        '  LIST must be a non-empty list, each text matching /^[A-Z]{2}$/ (got an empty list)',
        '  NEEDED must be non-empty text (not set)',
      ].join('\n'),
    );
  });

  it('picks settings by name, for the props a CDK construct checks at synth', () => {
    const picked = pickSettings(serviceConfigSchema, 'OTP_DIGITS');
    expect(Object.keys(picked)).toEqual(['OTP_DIGITS']);
    expect(messageOf(() => parseSettings(picked, { OTP_DIGITS: '9' }))).toBe(
      'Invalid configuration: OTP_DIGITS must be an integer from 6 to 8 (got a value above 8)',
    );
  });
});
