import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { LogLevel as StepFunctionsLogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import { buildSync } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleBudgetKib } from '../../infra/bundle-budget.js';
import { accessOf } from '../../infra/permissions.js';
import { stateMachineDefinition } from '../../local/template.js';
import { awsSdkBytes } from '../../scripts/bundle-share.js';
import { routes } from '../../shared/routes.js';
import { handlerResources, propertiesOf, removeSynth, synthStack } from '../support/synth.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let resources: Resources;
let template: ReturnType<typeof synthStack>['template'];

beforeAll(() => {
  template = synthStack().template;
  resources = template.toJSON().Resources as Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('MfaFlow state machine', () => {
  it('is one EXPRESS machine with tracing, logging no execution data', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ERROR' }),
    });
  });

  it('logs every transition only when asked (workflowLogLevel ALL: a debugging aid)', () => {
    synthStack({ workflowLogLevel: StepFunctionsLogLevel.ALL }).template.hasResourceProperties(
      'AWS::StepFunctions::StateMachine',
      { LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ALL' }) },
    );
  });

  it('uses JSONPath (the local runner cannot run JSONata) and routes on the operation', () => {
    const definition = stateMachineDefinition(template.toJSON() as never);
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(JSON.stringify(definition)).not.toContain('JSONata');
    expect(definition.StartAt).toBe('Operation');
    expect(definition.States).toHaveProperty('Operation.Type', 'Choice');
  });

  it('never retries a refusal of a send, retries anything else twice; every failure left takes the send back', () => {
    const states = stateMachineDefinition(template.toJSON() as never).States as Record<
      string,
      { Retry?: unknown; Catch?: unknown }
    >;
    const retries = (refusals: string[]) => [
      { ErrorEquals: refusals, MaxAttempts: 0 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 },
    ];
    expect(states.SendSms?.Retry).toEqual(
      retries([
        'Sns.AuthorizationErrorException',
        'Sns.InvalidParameterException',
        'Sns.InvalidParameterValueException',
        'Sns.InvalidSecurityException',
        'Sns.ValidationException',
      ]),
    );
    expect(states.SendEmail?.Retry).toEqual(
      retries([
        'Ses.MessageRejectedException',
        'Ses.MailFromDomainNotVerifiedException',
        'Ses.ConfigurationSetDoesNotExistException',
        'Ses.ConfigurationSetSendingPausedException',
        'Ses.AccountSendingPausedException',
      ]),
    );
    for (const send of ['SendSms', 'SendEmail']) {
      expect(states[send]?.Catch, send).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'UndoChallenge' },
      ]);
    }
  });
});

describe('DynamoDB table', () => {
  it('is on-demand with TTL, PITR, deletion protection, and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe('Lambda functions', () => {
  it('all run Node.js 22 on arm64 with tracing and a handler tag', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Tags: expect.arrayContaining([expect.objectContaining({ Key: 'mfa:handler' })]),
      });
    }
  });
});

describe('REST API', () => {
  it('has exactly one method per route-table entry', () => {
    const pathOf = (id: string): string => {
      const resource = resources[id];
      if (!resource) return '';
      const parent = resource.Properties.ParentId as { Ref?: string };
      return `${parent.Ref ? pathOf(parent.Ref) : ''}/${resource.Properties.PathPart as string}`;
    };
    const methods = ofType('AWS::ApiGateway::Method').map(([, method]) => {
      const resourceId = method.Properties.ResourceId as { Ref?: string };
      return `${method.Properties.HttpMethod as string} ${resourceId.Ref ? pathOf(resourceId.Ref) : '/'}`;
    });
    expect(methods.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
  });
});

describe('bundling', () => {
  it('bundles every function with local esbuild into an ESM file, never Docker', () => {
    const previous = process.env.CDK_DOCKER;
    let assembly: string | undefined;
    process.env.CDK_DOCKER = '/nonexistent/docker'; // any Docker bundling attempt would fail
    try {
      const { outdir, template: bundled } = synthStack({}, true);
      assembly = outdir;
      const own = new Map<string, number>();
      const functions = Object.values(bundled.toJSON().Resources as Resources).filter(
        (r) => r.Type === 'AWS::Lambda::Function',
      );
      for (const fn of functions) {
        const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace('.zip', '');
        const entry = path.join(outdir, `asset.${key}`, 'index.mjs');
        expect(existsSync(entry), entry).toBe(true);
        expect(existsSync(`${entry}.map`), `${entry}.map`).toBe(true);
        const code = readFileSync(entry, 'utf8');
        expect(code).toContain('createRequire');
        const handler = (fn.Properties.Tags as { Key: string; Value: string }[]).find(
          (tag) => tag.Key === 'mfa:handler',
        )?.Value;
        // The AWS SDK is bundled (the lockfile's versions): nothing is imported at run time
        // but Node's own modules.
        // (esbuild reads the bundle's own import statements: strings that merely quote an
        // import, as SDK error messages do, are not imports.)
        const { metafile } = buildSync({
          entryPoints: [entry],
          bundle: true,
          write: false,
          metafile: true,
          platform: 'node',
          format: 'esm',
          external: ['*'],
          logLevel: 'silent',
        });
        const imported = Object.values(metafile.inputs).flatMap((input) =>
          input.imports.map((entry) => entry.path),
        );
        expect(
          imported.filter((name) => !name.startsWith('node:')),
          handler,
        ).toEqual([]);
        expect(imported.length, handler).toBeGreaterThan(0);
        // Only functions that use the table (the envelope signer's key item included) carry
        // its client: test/unit/composition.test.ts checks every client.
        const usesTable = accessOf(handler ?? '').some((a) =>
          /^(clients|users|rates|token):/.test(a),
        );
        if (usesTable) expect(code, handler).toContain('DynamoDB_20120810');
        else expect(code, handler).not.toContain('DynamoDB_20120810');
        // The credential chain is Lambda's sources alone (LAMBDA_CREDENTIALS): the environment
        // and the credentials endpoint, no profile, SSO or web-identity source, nor the
        // STS/SSO clients they bring.
        if (code.includes('@aws-sdk/client-')) {
          expect(code, handler).toContain('AWS_SESSION_TOKEN');
          expect(code, handler).toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
        }
        expect(code, handler).not.toContain('sso_start_url');
        expect(code, handler).not.toContain('AWS_WEB_IDENTITY_TOKEN_FILE');
        own.set(
          handler ?? key,
          Buffer.byteLength(code) - awsSdkBytes(code, readFileSync(`${entry}.map`, 'utf8')),
        );
        const map = JSON.parse(readFileSync(`${entry}.map`, 'utf8')) as {
          sourcesContent?: unknown;
        };
        expect(map.sourcesContent, `${handler}: a map without sources`).toBeUndefined();
      }
      // DESIGN.md: each bundle under 300 KiB minified, measured as when the SDK was external:
      // the service's code and libraries, the AWS SDK's share aside (zod is zod/mini), but for
      // the two exceptions README "Performance" names.
      expect(own.size).toBe(functions.length);
      for (const [handler, bytes] of own) {
        expect(bytes / 1024, handler).toBeLessThan(bundleBudgetKib(handler));
      }
    } finally {
      if (previous === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = previous;
      if (assembly) removeSynth(assembly);
    }
  });
});

describe('MFA authorizer wiring in the service stack', () => {
  const methodOf = (httpMethod: string, pathPart: string) =>
    ofType('AWS::ApiGateway::Method').find(([, method]) => {
      const resourceId = (method.Properties.ResourceId as { Ref?: string }).Ref ?? '';
      return (
        method.Properties.HttpMethod === httpMethod &&
        resources[resourceId]?.Properties.PathPart === pathPart
      );
    })?.[1];

  it('puts every `mfa` route of the table behind the REQUEST authorizer, and nothing else', () => {
    const [authorizerId] = ofType('AWS::ApiGateway::Authorizer').map(([id]) => id);
    expect(resources[authorizerId as string]?.Properties).toMatchObject({
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
    });
    for (const pathPart of ['cats', 'dogs']) {
      expect(methodOf('GET', pathPart)?.Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    expect(methodOf('GET', 'demo')?.Properties.AuthorizationType).toBe('NONE');
    const custom = ofType('AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.AuthorizationType === 'CUSTOM',
    );
    expect(custom).toHaveLength(routes.filter((route) => route.auth === 'mfa').length);
  });

  it('turns Deny and missing tokens into 401 with the WWW-Authenticate challenge', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '401',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': 'context.authorizer.wwwAuthenticate',
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': `'Bearer error="invalid_token"'`,
      }),
    });
  });

  it("gives the authorizer each protected route's maxAge from the route table", () => {
    const authorizerFn = ofType('AWS::Lambda::Function').find(([, fn]) =>
      (fn.Properties.Tags as { Key: string; Value: string }[]).some(
        (tag) => tag.Value === 'authorizer',
      ),
    )?.[1];
    const env =
      (authorizerFn?.Properties.Environment as { Variables?: Record<string, string> } | undefined)
        ?.Variables ?? {};
    expect(JSON.parse(env.MFA_ROUTE_POLICIES ?? '{}')).toMatchObject({
      'GET /demo/cats': { maxAge: 60 },
      'GET /demo/dogs': { maxAge: 900 },
    });
  });
});

describe('step-up for factor changes', () => {
  const envOf = (props: Parameters<typeof synthStack>[0]) => {
    const all = synthStack(props).template.toJSON().Resources as Parameters<
      typeof handlerResources
    >[0];
    const { functionId } = handlerResources(all).get('factors-enroll') ?? {};
    return (
      propertiesOf(all, functionId ?? '').Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
  };

  it('is off unless factorChangeMaxAge is given, which the functions then get in seconds', () => {
    expect(envOf({})).not.toHaveProperty('FACTOR_CHANGE_MAX_AGE_SECONDS');
    expect(envOf({ factorChangeMaxAge: Duration.minutes(5) }).FACTOR_CHANGE_MAX_AGE_SECONDS).toBe(
      '300',
    );
    expect(() => envOf({ factorChangeMaxAge: Duration.hours(2) })).toThrow(/factorChangeMaxAge/);
  });
});

describe('what the stack tells operators and callers', () => {
  it('outputs under plain names (MfaServiceStack.ApiUrl, …), for the README and the CLIs', () => {
    const outputs = Object.keys(
      (synthStack().template.toJSON() as { Outputs: Record<string, unknown> }).Outputs,
    );
    for (const name of [
      'ApiUrl',
      'JwksUrl',
      'AlarmTopicArn',
      'EventBusName',
      'AuditLogGroup',
      'TableName',
      'DataKeyArn',
    ]) {
      expect(outputs).toContain(name);
    }
  });

  it("API Gateway's own answers are problem+json with a code and x-request-id", () => {
    const all = synthStack().template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const responses = Object.values(all).filter(
      (r) => r.Type === 'AWS::ApiGateway::GatewayResponse',
    );
    const byType = new Map(
      responses.map((r) => [r.Properties.ResponseType as string, r.Properties]),
    );
    const expected: Record<string, [string | undefined, string]> = {
      MISSING_AUTHENTICATION_TOKEN: ['404', 'not_found'],
      THROTTLED: ['429', 'rate_limited'],
      WAF_FILTERED: ['403', 'access_denied'],
      REQUEST_TOO_LARGE: ['413', 'payload_too_large'],
      DEFAULT_4XX: [undefined, 'invalid_request'],
      DEFAULT_5XX: [undefined, 'internal_error'],
    };
    for (const [type, [status, code]] of Object.entries(expected)) {
      const response = byType.get(type);
      if (!response) throw new Error(`no gateway response ${type}`);
      expect(response.StatusCode, type).toBe(status);
      const headers = response.ResponseParameters as Record<string, string>;
      expect(headers['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
      expect(headers['gatewayresponse.header.x-request-id']).toBe('context.requestId');
      const body = JSON.parse(
        (response.ResponseTemplates as Record<string, string>)['application/json'] as string,
      );
      expect(body).toMatchObject({ type: 'about:blank', code, requestId: '$context.requestId' });
      if (status) expect(body.status).toBe(Number(status));
    }
    // The authorizer's own two stay as they were: one response per type.
    expect(responses.filter((r) => r.Properties.ResponseType === 'UNAUTHORIZED')).toHaveLength(1);
  });
});
