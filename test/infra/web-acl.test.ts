import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { MfaService } from '../../infra/mfa-service.js';
import type { MfaServiceStackProps } from '../../infra/mfa-service-stack.js';
import { ofType, resourcesOf, single, synthStack } from '../support/synth.js';

interface Rule {
  Name: string;
  Priority: number;
  Statement: Record<string, unknown>;
  Action?: unknown;
}

const rulesOf = (props: MfaServiceStackProps): Map<string, Rule> => {
  const resources = resourcesOf(synthStack({ createWebAcl: true, ...props }).template);
  const [, acl] = single(ofType(resources, 'AWS::WAFv2::WebACL'), 'web ACL');
  return new Map((acl.Properties.Rules as Rule[]).map((rule) => [rule.Name, rule]));
};

const bodiesOf = (props: MfaServiceStackProps): Record<string, { Content: string }> => {
  const resources = resourcesOf(synthStack({ createWebAcl: true, ...props }).template);
  const [, acl] = single(ofType(resources, 'AWS::WAFv2::WebACL'), 'web ACL');
  return acl.Properties.CustomResponseBodies as Record<string, { Content: string }>;
};

/** What an app's request carries: `Authorization: Basic …`, in any case. */
const BASIC_HEADER = {
  ByteMatchStatement: {
    FieldToMatch: { SingleHeader: { Name: 'authorization' } },
    PositionalConstraint: 'STARTS_WITH',
    SearchString: 'basic ',
    TextTransformations: [{ Priority: 0, Type: 'LOWERCASE' }],
  },
};

const rateRule = (limit: number, scopeDown: unknown) => ({
  RateBasedStatement: { Limit: limit, AggregateKeyType: 'IP', ScopeDownStatement: scopeDown },
});

describe('web ACL rate limits', () => {
  it('limit anonymous requests to 1,000 and Basic-authenticated ones to 15,000 per IP in 5 minutes, each with a 429', () => {
    const rules = rulesOf({});
    expect(rules.get('RateLimitPerIp')?.Statement).toEqual(
      rateRule(1000, { NotStatement: { Statement: BASIC_HEADER } }),
    );
    expect(rules.get('AppRateLimitPerIp')?.Statement).toEqual(rateRule(15_000, BASIC_HEADER));
    for (const name of ['RateLimitPerIp', 'AppRateLimitPerIp']) {
      expect(rules.get(name)?.Action, name).toEqual({
        Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'RateLimited' } },
      });
    }
    expect(JSON.parse(bodiesOf({}).RateLimited?.Content ?? '{}')).toMatchObject({
      status: 429,
      code: 'rate_limited',
    });
    // Every rule keeps a priority of its own (WAF refuses duplicates).
    const priorities = [...rules.values()].map((rule) => rule.Priority);
    expect(new Set(priorities).size).toBe(rules.size);
    expect(rules.size).toBe(5);
  });

  it('take both limits from the MfaService prop webAcl', () => {
    const rules = rulesOf({
      webAcl: { rateLimitPer5Minutes: 500, appRateLimitPer5Minutes: 90_000 },
    });
    expect(rules.get('RateLimitPerIp')?.Statement).toEqual(
      rateRule(500, { NotStatement: { Statement: BASIC_HEADER } }),
    );
    expect(rules.get('AppRateLimitPerIp')?.Statement).toEqual(rateRule(90_000, BASIC_HEADER));
  });

  it('refuse webAcl limits without createWebAcl: they would configure nothing', () => {
    expect(
      () =>
        new MfaService(new Stack(new App()), 'Mfa', {
          webAclArn: 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/mfa/1',
          webAcl: { appRateLimitPer5Minutes: 60_000 },
        }),
    ).toThrow('webAcl configures the created web ACL: set createWebAcl');
  });
});
