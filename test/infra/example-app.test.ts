import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/mfa-function.js';
import {
  handlerOfFunction,
  propertiesOf,
  type Resources,
  resourcesOf,
  single,
} from '../support/synth.js';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'protect-your-api');
const ISSUER = 'https://mfa.example.test/live';

let app: App;
let template: Template;
let resources: Resources;

/**
 * examples/protect-your-api, synthesized as `cdk synth -c mfaIssuer=…` would, offline: its
 * `step-up-mfa/constructs` import resolves to this checkout (vitest.config.ts), the rest to
 * the root's node_modules, and the authorizer is bundled by the local esbuild (no Docker).
 */
beforeAll(async () => {
  process.env.CDK_CONTEXT_JSON = JSON.stringify({ mfaIssuer: ISSUER, mfaClientId: 'shop-app' });
  const example = (await import('../../examples/protect-your-api/app.js')) as {
    app: App;
    stack: Stack;
  };
  app = example.app;
  template = Template.fromStack(example.stack);
  resources = resourcesOf(template);
});

const authorizerFunctionId = () => {
  const handlers = [...handlerOfFunction(resources)].filter(
    ([, handler]) => handler === 'authorizer',
  );
  return single(handlers, 'authorizer function')[0];
};

describe('examples/protect-your-api', () => {
  it('has at most 20 lines of its own code (app.ts without blank and comment-only lines)', () => {
    const lines = readFileSync(path.join(EXAMPLE, 'app.ts'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trim().startsWith('//'));
    expect(lines.length).toBeLessThanOrEqual(20);
  });

  it('creates the MFA authorizer function, bundled from functions/authorizer.ts by esbuild', () => {
    const fn = propertiesOf(resources, authorizerFunctionId());
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    const assetHash = (fn.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const bundle = path.join(app.outdir, `asset.${assetHash}`, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    // The verifier's own refusal code, from shared/authz: the real handler, not a stub.
    expect(readFileSync(bundle, 'utf8')).toContain('insufficient_user_authentication');
  });

  it('configures the authorizer with the issuer and client id from context and maxAge 60 for POST /payments', () => {
    const variables = (
      propertiesOf(resources, authorizerFunctionId()).Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;
    expect(variables).toMatchObject({
      MFA_ISSUER: ISSUER,
      MFA_JWKS_URL: `${ISSUER}/.well-known/jwks.json`,
      MFA_AUDIENCES: 'shop-app',
    });
    expect(JSON.parse(variables.MFA_ROUTE_POLICIES as string)).toEqual({
      'POST /payments': { maxAge: 60 },
    });
  });

  it('puts POST /payments behind the REQUEST authorizer, in front of the app’s own function', () => {
    const [authorizerId, authorizer] = single(
      Object.entries(resources).filter(([, r]) => r.Type === 'AWS::ApiGateway::Authorizer'),
      'authorizer',
    );
    expect(authorizer.Properties).toMatchObject({
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: expect.anything(),
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(authorizerFunctionId());

    const [, post] = single(
      Object.entries(resources).filter(
        ([, r]) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod === 'POST',
      ),
      'POST method',
    );
    expect(post.Properties).toMatchObject({
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
    // The app's own backend: the one function the MFA constructs did not tag.
    const [paymentsId] = single(
      [...handlerOfFunction(resources)].filter(([, handler]) => handler === ''),
      'function of the app',
    );
    expect(propertiesOf(resources, paymentsId).Code).toMatchObject({
      ZipFile: expect.stringContaining('paid'),
    });
    expect(JSON.stringify(post.Properties.Integration)).toContain(paymentsId);
  });

  it('answers refusals with 401 and the RFC 9470 challenge', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '401',
    });
  });
});
