import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/**
 * Key policies written out action by action: the account (through IAM) may manage a key, and
 * only the uses named here; nothing is `kms:*`. Administration leaves out every cryptographic
 * operation, so a key whose policy names no user for an operation allows it to nobody.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:CreateGrant',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:GetPublicKey',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/**
 * Symmetric-key operations the account may delegate to IAM principals (each still needs an IAM
 * allow). No `ReEncrypt`: it moves a ciphertext to another encryption context without
 * decrypting it for the caller, so a principal denied `Decrypt` under one context could
 * re-encrypt to another and decrypt there; nothing here re-encrypts.
 */
export const KEY_USE_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] as const;

/** A key policy whose account statements are administration plus, optionally, `use` through IAM. */
export const accountKeyPolicy = (use: readonly string[] = []): PolicyDocument =>
  new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'KeyAdministration',
        principals: [new AccountRootPrincipal()],
        actions: [...KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
      ...(use.length
        ? [
            new PolicyStatement({
              sid: 'UseThroughIam',
              principals: [new AccountRootPrincipal()],
              actions: [...use],
              resources: ['*'],
            }),
          ]
        : []),
    ],
  });
