import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { MfaAuthorizer } from '../../infra/mfa-authorizer.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const build = () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const api = new RestApi(stack, 'Api');
  const mfa = new MfaAuthorizer(stack, 'Mfa', {
    issuer: 'https://mfa.example',
    jwksUrl: 'https://mfa.example/.well-known/jwks.json',
    audiences: ['payments-app', 'shop.web'],
  });
  return { app, stack, api, mfa };
};

let template: Template;
let resources: Resources;

beforeAll(() => {
  const { stack, api, mfa } = build();
  const integration = new MockIntegration();
  mfa.addProtectedMethod(api.root.resourceForPath('/demo/cats'), 'GET', integration, {
    maxAge: Duration.seconds(60),
  });
  mfa.addProtectedMethod(api.root.resourceForPath('/demo/dogs'), 'get', integration);
  mfa.addProtectedMethod(api.root.resourceForPath('/pay/{id}'), 'POST', integration, {
    maxAge: Duration.minutes(5),
    acr: 'mfa',
  });
  api.root.resourceForPath('/demo').addMethod('GET', integration);
  mfa.addGatewayResponses(api);
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
});

const environment = () => {
  const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(functions).toHaveLength(1);
  const [fn] = functions;
  if (!fn) throw new Error('no function');
  return (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
};

describe('MfaAuthorizer', () => {
  it('creates the authorizer function from functions/authorizer.ts with its configuration', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Tags: Match.arrayWith([{ Key: 'mfa:handler', Value: 'authorizer' }]),
    });
    expect(environment()).toMatchObject({
      MFA_ISSUER: 'https://mfa.example',
      MFA_JWKS_URL: 'https://mfa.example/.well-known/jwks.json',
      MFA_AUDIENCES: 'payments-app,shop.web',
      MFA_DEFAULT_MAX_AGE_SECONDS: '900',
    });
  });

  it('records each protected method policy in MFA_ROUTE_POLICIES', () => {
    expect(JSON.parse(environment().MFA_ROUTE_POLICIES as string)).toEqual({
      'GET /demo/cats': { maxAge: 60 },
      'GET /demo/dogs': { maxAge: 900 },
      'POST /pay/{id}': { maxAge: 300, acr: 'mfa' },
    });
  });

  it('is a REQUEST authorizer with result caching disabled and no identity source', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: Match.absent(),
    });
  });

  it('guards exactly the protected methods', () => {
    const methods = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method');
    const guarded = methods.filter((m) => m.Properties.AuthorizationType === 'CUSTOM');
    expect(guarded).toHaveLength(3);
    expect(methods.filter((m) => m.Properties.AuthorizationType === 'NONE')).toHaveLength(1);
    for (const method of guarded) expect(method.Properties.AuthorizerId).toBeDefined();
  });

  it('answers a Deny with 401, the challenge from the authorizer context and problem+json', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '401',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': 'context.authorizer.wwwAuthenticate',
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
      }),
      ResponseTemplates: {
        // ...and a step-up refusal's detail and max age, from the authorizer's context.
        'application/json': Match.stringLikeRegexp(
          'context\\.authorizer\\.maxAge[\\s\\S]*"code":"\\$code","detail":"\\$detail",#if\\(\\$maxAge != ""\\)"maxAge":\\$maxAge,#end.*\\$context\\.requestId',
        ),
      },
    });
  });

  it("answers API Gateway's own 401 with the static invalid_token challenge", () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': '\'Bearer error="invalid_token"\'',
      }),
    });
  });

  it('refuses a method protected twice, a bad policy, and gateway responses added twice', () => {
    const { app, api, mfa } = build();
    const cats = api.root.resourceForPath('/cats');
    mfa.addProtectedMethod(cats, 'GET', new MockIntegration());
    expect(() => mfa.addProtectedMethod(cats, 'GET', new MockIntegration())).toThrow(
      'MfaAuthorizer already protects GET /cats',
    );
    expect(() =>
      mfa.addProtectedMethod(cats, 'POST', new MockIntegration(), { acr: 'a" b' }),
    ).toThrow('Invalid MFA policy for POST /cats');
    expect(() => mfa.addGatewayResponses(api)).not.toThrow();
    expect(() => mfa.addGatewayResponses(api)).toThrow('already added');
    expect(() => app.synth()).not.toThrow();
  });

  it("takes '*' only as asked, and refuses audiences that name no client id", () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Any');
    const urls = { issuer: 'https://mfa.example', jwksUrl: 'https://mfa.example/jwks' };
    const any = new MfaAuthorizer(stack, 'Any', { ...urls, audiences: '*' });
    any.addProtectedMethod(new RestApi(stack, 'Api').root, 'GET', new MockIntegration());
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MFA_AUDIENCES: '*' }) },
    });
    for (const [i, audiences] of [[], [''], ['a,b'], ['*'], ['app 1']].entries()) {
      expect(() => new MfaAuthorizer(stack, `Bad${i}`, { ...urls, audiences })).toThrow(
        `MfaAuthorizer: audiences must list the accepted client ids, or be '*' (got ${JSON.stringify(audiences)})`,
      );
    }
  });
});
