import { describe, expect, it } from 'vitest';
import { parseConfig, serviceConfigSchema } from '../../shared/config.js';
import { defaultPolicy, type Policy } from '../../shared/domain/policy/index.js';
import { appliesDefaultPolicy, routes } from '../../shared/routes.js';
import { handlerOfFunction, ofType, resourcesOf, synthStack } from '../support/synth.js';

/** The service functions' environments (the authorizer reads no service config), by handler. */
const serviceEnvironments = (props: Parameters<typeof synthStack>[0]) => {
  const resources = resourcesOf(synthStack(props).template);
  const handlers = handlerOfFunction(resources);
  return ofType(resources, 'AWS::Lambda::Function')
    .map(([id, fn]) => {
      const environment = fn.Properties.Environment as { Variables?: Record<string, unknown> };
      return [handlers.get(id) ?? id, environment?.Variables ?? {}] as const;
    })
    .filter(([, variables]) => 'TABLE_NAME' in variables);
};

const TYPO = {
  version: 1,
  // biome-ignore lint/suspicious/noThenProperty: the policy document's own member
  rules: [{ id: 'x', if: { contry: { in: ['KP'] } }, then: 'deny' }],
} as unknown as Policy;

describe('MfaService defaultPolicy', () => {
  it('reaches the functions of the routes that apply it (start, factor changes) as DEFAULT_POLICY, and no other', () => {
    const policy = defaultPolicy();
    const environments = serviceEnvironments({ defaultPolicy: policy });
    const readers = routes.map((route) => route.handler).filter(appliesDefaultPolicy);
    // Start decides with it; a factor change's step-up reads its emailIsPossession.
    expect(readers).toEqual([
      'authn-start',
      'factors-enroll',
      'factors-activate',
      'factors-resend',
      'factors-delete',
    ]);
    expect(environments.length).toBeGreaterThan(20);
    for (const [handler, variables] of environments) {
      if (!readers.includes(handler)) {
        // Every other function would parse it at each cold start for nothing (~8 ms).
        expect(variables, handler).not.toHaveProperty('DEFAULT_POLICY');
        continue;
      }
      expect(variables.DEFAULT_POLICY, handler).toBe(JSON.stringify(policy));
      const config = parseConfig(serviceConfigSchema, {
        TABLE_NAME: 't',
        DEFAULT_POLICY: variables.DEFAULT_POLICY as string,
      });
      expect(config.DEFAULT_POLICY).toEqual(policy);
    }
  });

  it('is not set without the prop (apps without a policy: require mfa)', () => {
    for (const [handler, variables] of serviceEnvironments({})) {
      expect(variables, handler).not.toHaveProperty('DEFAULT_POLICY');
    }
  });

  it('a bad policy fails the synth, naming the path of its first problem', () => {
    expect(() => synthStack({ defaultPolicy: TYPO })).toThrow(
      'MfaService: defaultPolicy: invalid_policy at rules.0.if.contry: is not a known field',
    );
    expect(() => synthStack({ defaultPolicy: { version: 2, rules: [] } as never })).toThrow(
      'invalid_policy at version: must be 1',
    );
  });

  it('a policy too large for the 4 KB Lambda environment fails the synth', () => {
    const rules = Array.from({ length: 60 }, (_, index) => ({
      id: `rule-${index}`,
      if: { ip: { inCidr: [`10.${index}.0.0/16`] } },
      // biome-ignore lint/suspicious/noThenProperty: the policy document's own member
      then: 'deny' as const,
    }));
    expect(() => synthStack({ defaultPolicy: { version: 1, rules } })).toThrow(
      /MfaService: defaultPolicy: \d+ bytes of JSON, over the 2048/,
    );
  });

  it('DEFAULT_POLICY set by hand is checked at cold start, naming the path', () => {
    expect(() =>
      parseConfig(serviceConfigSchema, { TABLE_NAME: 't', DEFAULT_POLICY: JSON.stringify(TYPO) }),
    ).toThrow(
      'Invalid configuration: DEFAULT_POLICY is invalid (rules.0.if.contry: is not a known field)',
    );
  });
});
