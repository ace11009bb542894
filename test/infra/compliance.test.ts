import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { MfaData } from '../../infra/mfa-data.js';
import { PROJECT_ROOT } from '../../infra/mfa-function.js';
import { MfaService } from '../../infra/mfa-service.js';
import { MfaServiceStack, type MfaServiceStackProps } from '../../infra/mfa-service-stack.js';
import { ofType, type Resources, single, synthStack } from '../support/synth.js';

const nag = (app: App) => new AwsSolutionsChecks(app).validateScope(app).violations;

const findings = (props: MfaServiceStackProps) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  new MfaServiceStack(app, 'MfaServiceStack', props);
  return nag(app).map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`);
};

/** Every acknowledgement in a construct tree: rule id → reason. */
const acknowledgements = (root: IConstruct) =>
  root.node
    .findAll()
    .flatMap((node) =>
      node.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
    )
    .map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), reason }));

describe('cdk-nag AwsSolutions', () => {
  it.each<[string, MfaServiceStackProps]>([
    ['defaults (kms signing)', {}],
    ['envelope signing', { signing: 'envelope' }],
    [
      'every option',
      {
        createWebAcl: true,
        cors: { allowOrigins: ['https://app.example.com'] },
        alarmEmails: ['ops@example.com'],
        functionConcurrency: {
          'authn-verify': { reserved: 20, provisioned: 2 },
          'flow-verify': { provisioned: 1 },
          authorizer: { provisioned: 1 },
        },
        dataRemovalPolicy: RemovalPolicy.DESTROY,
        smsSenderId: 'ACME',
      },
    ],
  ])('reports nothing unacknowledged: %s', (_name, props) => {
    expect(findings(props)).toEqual([]);
  });

  it('runs in the app as a validation plugin: a finding fails the synth', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new MfaServiceStack(app, 'MfaServiceStack');
    // An unrotated secret with no acknowledgement: the check is not vacuous.
    new Secret(stack, 'Unacknowledged');
    expect(nag(app).map((v) => v.ruleName)).toEqual(['AwsSolutions-SMG4']);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/automatic rotation/);
  });

  it('gives every acknowledgement a specific reason, and names single findings for IAM5', () => {
    const { stack } = synthStack();
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(20);
    for (const { id, reason } of acks) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/\[Resource::.+\]$/);
      expect(reason.length, id).toBeGreaterThan(60);
    }
    // No blanket acknowledgement on the stack or the app.
    const onStack = stack.node.metadata.filter(
      (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
    );
    expect(onStack).toEqual([]);
  });
});

/** Strings that must never be in a template: key material, secret values, wildcards. */
const FORBIDDEN: [string, RegExp][] = [
  ['an "Action": "*"', /"Action"\s*:\s*(\[\s*)?"\*"/],
  ['a PEM private key', /BEGIN [A-Z ]*PRIVATE KEY/],
  ['a private JWK member', /"d"\s*:\s*"/],
  ['a literal secret value', /"SecretString"/],
  ['the local demo secret', /demo-secret/],
];

const grep = (file: string) => {
  const text = readFileSync(file, 'utf8');
  return FORBIDDEN.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${file}: ${what}`);
};

/** Long base64/hex-like literals in function environments: what a secret value would look like. */
const secretLooking = (resources: Resources) =>
  ofType(resources, 'AWS::Lambda::Function').flatMap(([id, fn]) =>
    Object.entries((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
      .filter(([, value]) => typeof value === 'string' && /^[A-Za-z0-9+/_=-]{24,}$/.test(value))
      .map(([name]) => `${id}.${name}`),
  );

describe('no secret in the synthesized templates', () => {
  it.each(['kms', 'envelope'] as const)(
    'has no wildcard action, key material or secret literal (%s signing)',
    (signing) => {
      const { app, template } = synthStack({ signing });
      const assembly = app.synth();
      const files = readdirSync(assembly.directory)
        .filter((file) => file.endsWith('.template.json'))
        .map((file) => path.join(assembly.directory, file));
      expect(files.length).toBe(1);
      expect(files.flatMap(grep)).toEqual([]);
      const resources = template.toJSON().Resources as Resources;
      expect(secretLooking(resources)).toEqual([]);
    },
  );

  it('has the same guarantees in cdk.out, when a synth left one there', () => {
    const dir = path.join(PROJECT_ROOT, 'cdk.out');
    const files = existsSync(dir)
      ? readdirSync(dir)
          .filter((file) => file.endsWith('.template.json'))
          .map((file) => path.join(dir, file))
      : [];
    expect(files.flatMap(grep)).toEqual([]);
  });

  it('lets Secrets Manager generate the OTP key; functions get only its ARN', () => {
    const { template } = synthStack();
    const resources = template.toJSON().Resources as Resources;
    const [secretId, secret] = single(ofType(resources, 'AWS::SecretsManager::Secret'), 'secret');
    expect(secret.Properties).toMatchObject({
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    expect(secret.Properties).not.toHaveProperty('SecretString');
    for (const [, fn] of ofType(resources, 'AWS::Lambda::Function')) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      if ('OTP_KEY_SECRET_ARN' in env) expect(env.OTP_KEY_SECRET_ARN).toEqual({ Ref: secretId });
      for (const name of Object.keys(env)) {
        expect(name).not.toMatch(/^(OTP_KEY|HMAC|PRIVATE|SECRET)$/);
      }
    }
  });
});

describe('MfaService on its own', () => {
  it('keeps data in a stack of its own: the service stack holds no table, data key, secret or audit log', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const dataStack = new Stack(app, 'Data');
    const data = new MfaData(dataStack, 'Data');
    const serviceStack = new Stack(app, 'Service');
    new MfaService(serviceStack, 'Mfa', { data });
    const assembly = app.synth();
    const types = (name: string) =>
      Object.values(
        (assembly.getStackByName(name).template as { Resources: Resources }).Resources,
      ).map((r) => r.Type);
    expect(types('Data').sort()).toEqual([
      'AWS::DynamoDB::Table',
      'AWS::KMS::Key',
      'AWS::Logs::LogGroup',
      'AWS::SecretsManager::Secret',
    ]);
    expect(types('Service')).not.toContain('AWS::DynamoDB::Table');
    expect(types('Service')).not.toContain('AWS::SecretsManager::Secret');
    // The service depends on the data, never the reverse (no cycle, data deploys first).
    const stacksBefore = (name: string) =>
      assembly
        .getStackByName(name)
        .dependencies.map((d) => d.id)
        .filter((id) => !id.endsWith('.assets'));
    expect(stacksBefore('Service')).toEqual(['Data']);
    expect(stacksBefore('Data')).toEqual([]);
    expect(nag(app)).toEqual([]);
    // The data key there cannot name the service's roles: the synth says so.
    const warnings = assembly
      .getStackByName('Service')
      .messages.filter((m) => m.level === 'warning')
      .map((m) => String(m.entry.data));
    expect(warnings).toContainEqual(
      expect.stringContaining("its policy cannot name this stack's function roles"),
    );
  });

  it('refuses contradictory or out-of-range options at synth time', () => {
    const make = (props: ConstructorParameters<typeof MfaService>[2]) => () =>
      new MfaService(new Stack(new App()), 'Mfa', props);
    expect(make({ webAclArn: 'arn:aws:wafv2:::x', createWebAcl: true })).toThrow('not both');
    expect(make({ functionConcurrency: { 'no-such-handler': { reserved: 1 } } })).toThrow(
      'No access entry for handler no-such-handler',
    );
    expect(make({ smsAllowedCountries: ['gb'] })).toThrow('smsAllowedCountries');
    expect(make({ smsAllowedCountries: ['GB', 'UK', 'ZZ'] })).toThrow(
      'MfaService: smsAllowedCountries: UK, ZZ not a country of any phone number',
    );
  });
});
