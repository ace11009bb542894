import { describe, expect, it } from 'vitest';
import { ofType, resourcesOf, synthStack } from '../support/synth.js';

/**
 * `npm run deploy:local` (`-c localstack=true`): LocalStack gives the REST API the id of its
 * `_custom_id_` tag, so the issuer and the JWKS URL the authorizer fetches are known at synth
 * and reachable from the functions' containers (LocalStack's own host name, plain HTTP).
 */
describe('the LocalStack deployment', () => {
  const resources = resourcesOf(synthStack({ localstackApiId: 'mfa' }).template);
  const issuer = 'http://mfa.execute-api.localhost.localstack.cloud:4566/live';

  it('fixes the API id with the _custom_id_ tag', () => {
    const [[, api] = []] = ofType(resources, 'AWS::ApiGateway::RestApi');
    expect(api?.Properties.Tags).toEqual(
      expect.arrayContaining([{ Key: '_custom_id_', Value: 'mfa' }]),
    );
  });

  it('issues tokens as that URL, and the authorizer fetches its JWKS there', () => {
    const variables = ofType(resources, 'AWS::Lambda::Function').map(
      ([, fn]) =>
        (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables ?? {},
    );
    const issuers = new Set(variables.map((v) => v.MFA_ISSUER).filter(Boolean));
    expect([...issuers]).toEqual([issuer]);
    const jwks = new Set(variables.map((v) => v.MFA_JWKS_URL).filter(Boolean));
    expect([...jwks]).toEqual([`${issuer}/.well-known/jwks.json`]);
  });

  it('is off by default: the AWS issuer is built from the API id', () => {
    const plain = resourcesOf(synthStack().template);
    const [[, api] = []] = ofType(plain, 'AWS::ApiGateway::RestApi');
    expect(JSON.stringify(api?.Properties.Tags ?? [])).not.toContain('_custom_id_');
  });
});
