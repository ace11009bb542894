import { describe, expect, it } from 'vitest';
import { parseConfig, serviceConfigSchema } from '../../shared/config.js';
import { handlerOfFunction, ofType, resourcesOf, synthStack } from '../support/synth.js';

/** The passkey settings of the service functions, by handler. */
const webauthnVariables = (props: Parameters<typeof synthStack>[0]) => {
  const resources = resourcesOf(synthStack(props).template);
  const handlers = handlerOfFunction(resources);
  return ofType(resources, 'AWS::Lambda::Function')
    .map(([id, fn]) => {
      const variables =
        (fn.Properties.Environment as { Variables?: Record<string, string> })?.Variables ?? {};
      const passkeys = Object.fromEntries(
        Object.entries(variables).filter(([name]) => name.startsWith('WEBAUTHN_')),
      );
      return [handlers.get(id) ?? id, passkeys, 'TABLE_NAME' in variables] as const;
    })
    .filter(([, , service]) => service);
};

describe('MfaService webauthn (passkey relying party)', () => {
  it('reaches every service function as WEBAUTHN_*, which its config reads back', () => {
    const environments = webauthnVariables({
      webauthn: {
        rpId: 'example.com',
        origins: ['https://app.example.com', 'https://www.example.com'],
        rpName: 'Example Bank',
        userVerification: 'preferred',
      },
    });
    expect(environments.length).toBeGreaterThan(10);
    for (const [handler, variables] of environments) {
      const config = parseConfig(serviceConfigSchema, { TABLE_NAME: 't', ...variables });
      expect(
        {
          rpId: config.WEBAUTHN_RP_ID,
          origins: config.WEBAUTHN_ORIGINS,
          rpName: config.WEBAUTHN_RP_NAME,
          uv: config.WEBAUTHN_USER_VERIFICATION,
        },
        handler,
      ).toEqual({
        rpId: 'example.com',
        origins: ['https://app.example.com', 'https://www.example.com'],
        rpName: 'Example Bank',
        uv: 'preferred',
      });
    }
  });

  it('without the prop the functions keep the local defaults (localhost)', () => {
    for (const [handler, variables] of webauthnVariables({})) {
      expect(variables, handler).not.toHaveProperty('WEBAUTHN_RP_ID');
      expect(
        parseConfig(serviceConfigSchema, { TABLE_NAME: 't', ...variables }).WEBAUTHN_RP_ID,
      ).toBe('localhost');
    }
  });

  it('a bad RP id or origin fails the synth, naming the setting', () => {
    expect(() =>
      synthStack({ webauthn: { rpId: 'https://example.com', origins: ['https://example.com'] } }),
    ).toThrow(/MfaService: webauthn: .*WEBAUTHN_RP_ID/);
    expect(() =>
      synthStack({ webauthn: { rpId: 'example.com', origins: ['https://example.com/path'] } }),
    ).toThrow(/MfaService: webauthn: .*WEBAUTHN_ORIGINS/);
  });
});
