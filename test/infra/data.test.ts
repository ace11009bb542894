import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { MfaService } from '../../infra/mfa-service.js';
import {
  handlerStatements,
  ofType,
  type Resources,
  statementsOf,
  synthStack,
} from '../support/synth.js';

/**
 * Logical ids of the stateful resources. A change here means CloudFormation would replace
 * (and so empty) the table, or orphan the key that decrypts it: never change them by a
 * refactor; migrate on purpose.
 */
const STATEFUL_IDS = {
  table: 'DataTableFDBAD0F2',
  dataKey: 'DataDataKeyCDD1A924',
  otpSecret: 'DataOtpHmacKeyEE8C6624',
  auditLog: 'DataAuditLog01574B20',
};

let resources: Resources;
let template: Template;

beforeAll(() => {
  template = synthStack().template;
  resources = template.toJSON().Resources as Resources;
});

describe('stateful resources', () => {
  it('keep their logical ids', () => {
    expect(resources[STATEFUL_IDS.table]?.Type).toBe('AWS::DynamoDB::Table');
    expect(resources[STATEFUL_IDS.dataKey]?.Type).toBe('AWS::KMS::Key');
    expect(resources[STATEFUL_IDS.otpSecret]?.Type).toBe('AWS::SecretsManager::Secret');
  });

  it('are retained on destroy, the table with deletion protection', () => {
    for (const id of Object.values(STATEFUL_IDS)) {
      expect(resources[id], id).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
    expect(resources[STATEFUL_IDS.table]?.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('table: on-demand, point-in-time recovery, TTL, encrypted with the data key', () => {
    expect(resources[STATEFUL_IDS.table]?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [STATEFUL_IDS.dataKey, 'Arn'] },
      },
    });
    expect(resources[STATEFUL_IDS.table]?.Properties).not.toHaveProperty('TableName');
  });

  it('data key: customer managed, rotated, administered by the account with no kms:*', () => {
    const key = resources[STATEFUL_IDS.dataKey];
    expect(key?.Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 30 });
    const statements = statementsOf(key?.Properties.KeyPolicy);
    expect(statements.flatMap((s) => s.Action)).not.toContain('kms:*');
    expect(statements.map((s) => s.Sid)).toEqual(
      expect.arrayContaining(['KeyAdministration', 'UseThroughIam']),
    );
  });

  it("data key: what is sealed under it opens only for the function roles; the account's use delegates no ReEncrypt", () => {
    const statements = statementsOf(resources[STATEFUL_IDS.dataKey]?.Properties.KeyPolicy);
    // The account delegates no ReEncrypt: it moves a ciphertext to a context nobody denies.
    const delegated = statements.find((s) => s.Sid === 'UseThroughIam')?.Action;
    expect(delegated).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
    const functionRoles = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((fn) => fn.Properties.Role);
    expect(functionRoles.length).toBeGreaterThan(20);
    const notTheService = { ArnNotEquals: { 'aws:PrincipalArn': functionRoles } };
    const reEncrypt = ['kms:ReEncryptFrom', 'kms:ReEncryptTo'];
    expect(statements.find((s) => s.Sid === 'FactorSecretsOnlyForTheService')).toEqual({
      Sid: 'FactorSecretsOnlyForTheService',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', ...reEncrypt],
      Resource: ['*'],
      Condition: { Null: { 'kms:EncryptionContext:factorId': 'false' }, ...notTheService },
    });
    expect(statements.find((s) => s.Sid === 'SigningKeyOpensOnlyForTheService')).toEqual({
      Sid: 'SigningKeyOpensOnlyForTheService',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', ...reEncrypt],
      Resource: ['*'],
      Condition: {
        StringEquals: { 'kms:EncryptionContext:purpose': 'mfa-token-signing-key' },
        ...notTheService,
      },
    });
  });

  it('audit log: kept five years unless auditRetention says otherwise', () => {
    expect(resources[STATEFUL_IDS.auditLog]?.Properties.RetentionInDays).toBe(1827);
  });

  it('OTP secret: encrypted with the data key', () => {
    expect(resources[STATEFUL_IDS.otpSecret]?.Properties.KmsKeyId).toEqual({
      'Fn::GetAtt': [STATEFUL_IDS.dataKey, 'Arn'],
    });
  });

  it('can all be destroyed in a development stack (no retain, no deletion protection)', () => {
    const dev = synthStack({ dataRemovalPolicy: RemovalPolicy.DESTROY }).template;
    const devResources = dev.toJSON().Resources as Resources;
    for (const [id, resource] of Object.entries(devResources)) {
      // The account-wide API Gateway logging role stays (prop apiGatewayCloudWatchRole).
      if (/^ServiceApi(Account|CloudWatchRole)/.test(id)) continue;
      expect(resource.DeletionPolicy, id).not.toBe('Retain');
    }
    dev.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });

  it('the data and the token signing key (evidence for receipts) are retained; a dev stack deletes the key after 30 days', () => {
    const signingKeys = (template: typeof resources) =>
      ofType(template, 'AWS::KMS::Key').filter(
        ([, key]) => key.Properties.KeySpec === 'ECC_NIST_P256',
      );
    const [signing] = signingKeys(resources);
    expect(signing?.[1].DeletionPolicy).toBe('Retain');
    const retained = Object.entries(resources)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([id]) => id)
      .sort();
    const accountWide = retained.filter((id) => /^ServiceApi(Account|CloudWatchRole)/.test(id));
    expect(accountWide).toHaveLength(2);
    expect(retained.filter((id) => !accountWide.includes(id))).toEqual(
      [...Object.values(STATEFUL_IDS), signing?.[0]].sort(),
    );
    const dev = synthStack({ dataRemovalPolicy: RemovalPolicy.DESTROY }).template.toJSON()
      .Resources as typeof resources;
    expect(signingKeys(dev)[0]?.[1]).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: { PendingWindowInDays: 30 },
    });
  });
});

describe('an existing table', () => {
  it('is used instead of a new one, with its key granted through DynamoDB', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Existing', {
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    const encryptionKey = Key.fromKeyArn(
      stack,
      'TeamKey',
      'arn:aws:kms:eu-west-1:111122223333:key/team',
    );
    const existingTable = Table.fromTableAttributes(stack, 'TeamTable', {
      tableArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/mfa',
      encryptionKey,
    });
    new MfaService(stack, 'Mfa', { existingTable });
    const existing = Template.fromStack(stack);
    existing.resourceCountIs('AWS::DynamoDB::Table', 0);
    const byHandler = handlerStatements(existing.toJSON().Resources as Resources);
    const list = byHandler.get('factors-list') ?? [];
    expect(list.find((s) => s.Action.includes('dynamodb:GetItem'))?.Resource).toEqual([
      'arn:aws:dynamodb:eu-west-1:111122223333:table/mfa',
    ]);
    const decrypt = list.find((s) => s.Action.includes('kms:Decrypt'));
    expect(decrypt?.Resource).toEqual(['arn:aws:kms:eu-west-1:111122223333:key/team']);
    expect(JSON.stringify(decrypt?.Condition?.StringEquals?.['kms:ViaService'])).toContain(
      'dynamodb.',
    );
  });
});

describe('local runtime contract', () => {
  it('one table, one state machine, every function tagged with its handler', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([Match.objectLike({ Key: 'mfa:handler' })]),
    });
  });
});
