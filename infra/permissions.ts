import { Aws, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { SIGNING_KEY_PURPOSE, SIGNING_KEYS_ITEM } from '../shared/adapters/aws/envelope-signer.js';
import { type ItemKey, keys } from '../shared/table.js';
import { type MfaFunction, XRAY_WILDCARD_REASON } from './mfa-function.js';

/**
 * What each handler may do, derived from the code it runs (functions/*.ts and the use cases
 * they call). This table is the one place that decides a function's permissions: `grantAccess`
 * turns it into IAM statements, and anything not listed is not allowed.
 */
export type Access =
  /** GetItem `CLIENT#…`: app authentication of every `/v1` route. */
  | 'clients:read'
  /** GetItem / UpdateItem `USER#…`: a user's item, their factors and transactions. */
  | 'users:read'
  | 'users:write'
  /** UpdateItem `RATE#…`: rate-limit counters. */
  | 'rates:write'
  /** secretsmanager:GetSecretValue on the OTP HMAC secret. */
  | 'otpKey'
  /** The data key with a TOTP context (`factorId`): GenerateDataKey to seal, Decrypt to open. */
  | 'totp:seal'
  | 'totp:open'
  /** Signs MFA tokens (kms: `kms:Sign`; envelope: the key item and its data-key context). */
  | 'token:sign'
  /** Reads the public signing keys (kms: `kms:GetPublicKey`; envelope: the key item). */
  | 'token:publicKeys'
  /** sns:Publish to phone numbers, never to a topic. */
  | 'sms'
  /** ses:SendEmail from the configured identity and sender only. */
  | 'email'
  /** states:StartSyncExecution of `MfaFlow`. */
  | 'workflow'
  /** events:PutEvents on the service's bus (audit events). */
  | 'events'
  /** HTTPS to the app's own consent check (policy `consentCheck`): no AWS permission. */
  | 'consent:check'
  /** Verifies passkey registrations (@simplewebauthn/server): no AWS permission. */
  | 'passkeys:register';

const CLIENT_ROUTE: readonly Access[] = ['clients:read', 'workflow'];

export const HANDLER_ACCESS: Readonly<Record<string, readonly Access[]>> = {
  health: [],
  demo: [],
  'well-known-openid': [],
  openapi: [],
  'well-known-jwks': ['token:publicKeys'],
  // An exempt start's token is signed here, and its audit event published meanwhile.
  'authn-start': [...CLIENT_ROUTE, 'token:sign', 'events'],
  'authn-challenge': CLIENT_ROUTE,
  'authn-cancel': CLIENT_ROUTE,
  'authn-status': CLIENT_ROUTE,
  // The pass code enters the workflow as an HMAC (otpKey); the token is signed here, and the
  // success's audit events published meanwhile.
  'authn-verify': [...CLIENT_ROUTE, 'otpKey', 'token:sign', 'events'],
  'factors-enroll': [
    'clients:read',
    'events',
    // Verifies the user's MFA token when factor changes are stepped up (here and below).
    'token:publicKeys',
    'users:read',
    'users:write',
    'rates:write',
    'otpKey',
    'totp:seal',
    'sms',
    'email',
  ],
  'factors-list': ['clients:read', 'users:read'],
  'factors-activate': [
    'clients:read',
    'users:read',
    'users:write',
    'otpKey',
    'totp:open',
    // A passkey's credential is sealed when its registration is verified.
    'totp:seal',
    'events',
    'token:publicKeys',
    'passkeys:register',
  ],
  'factors-resend': [
    'token:publicKeys',
    'clients:read',
    'users:read',
    'users:write',
    'rates:write',
    'otpKey',
    'sms',
    'email',
  ],
  'factors-delete': ['clients:read', 'users:read', 'users:write', 'events', 'token:publicKeys'],
  'trusted-payees-list': ['clients:read', 'users:read'],
  // Verifies the user's sca token (token:publicKeys) before the change.
  'trusted-payees-add': ['clients:read', 'users:read', 'users:write', 'events', 'token:publicKeys'],
  'trusted-payees-remove': [
    'clients:read',
    'users:read',
    'users:write',
    'events',
    'token:publicKeys',
  ],
  'flow-start': ['users:read', 'users:write', 'events', 'consent:check'],
  // Opens a passkey factor's sealed credential (its id goes into the request options).
  'flow-challenge': ['users:read', 'users:write', 'rates:write', 'otpKey', 'totp:open', 'events'],
  'flow-undo-challenge': ['users:write', 'rates:write', 'events'],
  'flow-verify': ['users:read', 'users:write', 'otpKey', 'totp:open', 'events'],
  'flow-cancel': ['users:read', 'users:write', 'events'],
  'flow-status': ['users:read'],
  // Verifies tokens against the public JWKS over HTTPS: no AWS permission beyond its logs.
  authorizer: [],
};

/** `CLIENT#x` → `CLIENT#*`: items of one kind, whatever their id. */
const kind = (key: ItemKey): string => `${key.pk.slice(0, key.pk.indexOf('#') + 1)}*`;

const TABLE_ACCESS: Partial<Record<Access, { action: string; leadingKey: string }>> = {
  'clients:read': { action: 'dynamodb:GetItem', leadingKey: kind(keys.client('x')) },
  'users:read': { action: 'dynamodb:GetItem', leadingKey: kind(keys.user('x', 'y')) },
  'users:write': { action: 'dynamodb:UpdateItem', leadingKey: kind(keys.user('x', 'y')) },
  'rates:write': { action: 'dynamodb:UpdateItem', leadingKey: kind(keys.rate('x', 0)) },
};

export type SigningMode = 'kms' | 'envelope';

/** The resources the access table refers to. */
export interface AccessTargets {
  readonly table: ITable;
  readonly dataKey: IKey;
  readonly otpKeySecret: ISecret;
  readonly signingMode: SigningMode;
  /** The asymmetric keys of `kms` signing mode: the first signs, all are published. */
  readonly signingKeys?: readonly IKey[];
  readonly stateMachine?: IStateMachine;
  /** The bus audit events go to. */
  readonly eventBus?: IEventBus;
  /** ARN of the SES identity email is sent through. */
  readonly emailIdentityArn: string;
  /** The only `From` address allowed. */
  readonly emailSender: string;
}

/** Why SMS senders hold `sns:Publish` on `*`. */
export const SMS_WILDCARD_REASON =
  'SMS: sns:Publish to a phone number has no resource ARN, so it can only be granted on "*"; an explicit Deny in the same policy refuses every topic and endpoint ARN (arn:<partition>:sns:*:*:*), so only direct SMS remain.';

/** An explicit Deny of publishing to any SNS topic or platform endpoint. */
export const denyTopicPublish = () =>
  new PolicyStatement({
    sid: 'DenyPublishToTopics',
    effect: Effect.DENY,
    actions: ['sns:Publish'],
    resources: [`arn:${Aws.PARTITION}:sns:*:*:*`],
  });

const viaService = (service: string) => ({
  StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.${Aws.URL_SUFFIX}` },
});

/** Statements of one handler's access list. */
export const accessStatements = (
  access: readonly Access[],
  targets: AccessTargets,
): PolicyStatement[] => {
  const has = (what: Access) => access.includes(what);
  const statements: PolicyStatement[] = [];

  // Table: one statement per action, limited to the item kinds the handler touches.
  const byAction = new Map<string, string[]>();
  for (const what of access) {
    const entry = TABLE_ACCESS[what];
    if (entry)
      byAction.set(entry.action, [...(byAction.get(entry.action) ?? []), entry.leadingKey]);
  }
  const envelope = targets.signingMode === 'envelope';
  const signingItem = SIGNING_KEYS_ITEM.pk;
  if (envelope && (has('token:sign') || has('token:publicKeys'))) {
    byAction.set('dynamodb:GetItem', [...(byAction.get('dynamodb:GetItem') ?? []), signingItem]);
  }
  if (envelope && has('token:sign')) {
    // The first token of a deployment creates the key item (a conditional put).
    byAction.set('dynamodb:PutItem', [...(byAction.get('dynamodb:PutItem') ?? []), signingItem]);
  }
  for (const [action, leadingKeys] of byAction) {
    statements.push(
      new PolicyStatement({
        actions: [action],
        resources: [targets.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys } },
      }),
    );
  }
  // A table under a customer managed key: DynamoDB decrypts its table key as the caller.
  if (byAction.size > 0 && targets.table.encryptionKey) {
    statements.push(
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [targets.table.encryptionKey.keyArn],
        conditions: viaService('dynamodb'),
      }),
    );
  }

  if (has('otpKey')) {
    statements.push(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [targets.otpKeySecret.secretArn],
      }),
    );
    if (targets.otpKeySecret.encryptionKey) {
      statements.push(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [targets.otpKeySecret.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              ...viaService('secretsmanager').StringEquals,
              'kms:EncryptionContext:SecretARN': targets.otpKeySecret.secretArn,
            },
          },
        }),
      );
    }
  }

  // TOTP secrets are sealed with context { clientId, userId, factorId }: a context without
  // factorId (the signing key's, DynamoDB's, Secrets Manager's) is refused to these grants.
  const totpContext = { Null: { 'kms:EncryptionContext:factorId': 'false' } };
  const totpActions = [
    ...(has('totp:seal') ? ['kms:GenerateDataKey'] : []),
    ...(has('totp:open') ? ['kms:Decrypt'] : []),
  ];
  if (totpActions.length) {
    statements.push(
      new PolicyStatement({
        actions: totpActions,
        resources: [targets.dataKey.keyArn],
        conditions: totpContext,
      }),
    );
  }

  if (has('token:sign') || has('token:publicKeys')) {
    if (envelope) {
      if (has('token:sign')) {
        statements.push(
          new PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [targets.dataKey.keyArn],
            conditions: { StringEquals: { 'kms:EncryptionContext:purpose': SIGNING_KEY_PURPOSE } },
          }),
        );
      }
    } else {
      const [current, ...previous] = targets.signingKeys ?? [];
      if (!current) throw new Error('kms signing mode needs a signing key');
      statements.push(
        new PolicyStatement({
          actions: has('token:sign') ? ['kms:GetPublicKey', 'kms:Sign'] : ['kms:GetPublicKey'],
          resources: [current.keyArn],
        }),
      );
      if (previous.length) {
        statements.push(
          new PolicyStatement({
            actions: ['kms:GetPublicKey'],
            resources: previous.map((key) => key.keyArn),
          }),
        );
      }
    }
  }

  if (has('sms')) {
    statements.push(
      new PolicyStatement({ sid: 'SendSms', actions: ['sns:Publish'], resources: ['*'] }),
      denyTopicPublish(),
    );
  }
  if (has('email')) {
    statements.push(
      new PolicyStatement({
        sid: 'SendEmail',
        actions: ['ses:SendEmail'],
        resources: [targets.emailIdentityArn],
        conditions: { StringEquals: { 'ses:FromAddress': targets.emailSender } },
      }),
    );
  }
  if (has('events')) {
    if (!targets.eventBus) throw new Error('events access needs the event bus');
    statements.push(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [targets.eventBus.eventBusArn],
      }),
    );
  }
  if (has('workflow')) {
    if (!targets.stateMachine) throw new Error('workflow access needs the state machine');
    statements.push(
      new PolicyStatement({
        actions: ['states:StartSyncExecution'],
        resources: [targets.stateMachine.stateMachineArn],
      }),
    );
  }
  return statements;
};

/** The access list of a handler; a handler missing from the table fails the synth. */
export const accessOf = (handler: string): readonly Access[] => {
  const access = HANDLER_ACCESS[handler];
  if (!access) throw new Error(`No access entry for handler ${handler} in infra/permissions.ts`);
  return access;
};

/** Grants `fn` exactly its handler's access. */
export const grantAccess = (fn: MfaFunction, handler: string, targets: AccessTargets): void => {
  const access = accessOf(handler);
  for (const statement of accessStatements(access, targets)) fn.addToRolePolicy(statement);
  if (access.includes('sms')) {
    // The role's X-Ray wildcard is acknowledged on the role; this policy also has the SMS one.
    const policy = (fn.role as IRole).node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `${XRAY_WILDCARD_REASON} ${SMS_WILDCARD_REASON}`,
      });
    }
  }
};
