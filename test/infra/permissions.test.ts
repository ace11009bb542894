import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/routes.js';
import {
  allowedActions,
  allPolicyStatements,
  handlerResources,
  handlerStatements,
  logGroupOf,
  ofType,
  propertiesOf,
  type Resources,
  roleStatements,
  type Statement,
  single,
  statementsOf,
  synthStack,
} from '../support/synth.js';

/**
 * What each function may do, written out here independently of infra/permissions.ts, from
 * what the handlers and their use cases call. Logs of its own group and X-Ray are left out.
 * Every function that changes a transaction or a factor puts its audit event on the bus.
 */
const EXPECTED_ACTIONS: Record<string, string[]> = {
  health: [],
  demo: [],
  'well-known-openid': [],
  openapi: [],
  authorizer: [],
  'well-known-jwks': ['kms:GetPublicKey'],
  // An exempt start's token is signed here.
  'authn-start': [
    'dynamodb:GetItem',
    'events:PutEvents',
    'kms:Decrypt',
    'kms:GetPublicKey',
    'kms:Sign',
    'states:StartSyncExecution',
  ],
  'authn-challenge': ['dynamodb:GetItem', 'kms:Decrypt', 'states:StartSyncExecution'],
  'authn-cancel': ['dynamodb:GetItem', 'kms:Decrypt', 'states:StartSyncExecution'],
  'authn-status': ['dynamodb:GetItem', 'kms:Decrypt', 'states:StartSyncExecution'],
  'authn-verify': [
    'dynamodb:GetItem',
    'events:PutEvents',
    'kms:Decrypt',
    'kms:GetPublicKey',
    'kms:Sign',
    'secretsmanager:GetSecretValue',
    'states:StartSyncExecution',
  ],
  'factors-enroll': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    'kms:GenerateDataKey',
    'kms:GetPublicKey',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
    'sns:Publish',
  ],
  'factors-list': ['dynamodb:GetItem', 'kms:Decrypt'],
  'factors-activate': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    // Seals a passkey's credential once its registration verifies.
    'kms:GenerateDataKey',
    'kms:GetPublicKey',
    'secretsmanager:GetSecretValue',
  ],
  'factors-resend': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'kms:Decrypt',
    'kms:GetPublicKey',
    'secretsmanager:GetSecretValue',
    'ses:SendEmail',
    'sns:Publish',
  ],
  'factors-delete': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    'kms:GetPublicKey',
  ],
  'trusted-payees-list': ['dynamodb:GetItem', 'kms:Decrypt'],
  'trusted-payees-add': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    'kms:GetPublicKey',
  ],
  'trusted-payees-remove': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    'kms:GetPublicKey',
  ],
  'flow-start': ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'events:PutEvents', 'kms:Decrypt'],
  'flow-challenge': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    'secretsmanager:GetSecretValue',
  ],
  'flow-undo-challenge': ['dynamodb:UpdateItem', 'events:PutEvents', 'kms:Decrypt'],
  'flow-verify': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:Decrypt',
    'secretsmanager:GetSecretValue',
  ],
  'flow-cancel': ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'events:PutEvents', 'kms:Decrypt'],
  'flow-status': ['dynamodb:GetItem', 'kms:Decrypt'],
};

/** The functions that sign MFA tokens: verify, and start for an exempt start. */
const SIGNERS = ['authn-start', 'authn-verify'];

/** The item kinds (`dynamodb:LeadingKeys`) each function may touch, by action. */
const EXPECTED_ITEMS: Record<string, Record<string, string[]>> = {
  'authn-start': { 'dynamodb:GetItem': ['CLIENT#*'] },
  'trusted-payees-add': {
    'dynamodb:GetItem': ['CLIENT#*', 'USER#*'],
    'dynamodb:UpdateItem': ['USER#*'],
  },
  'factors-list': { 'dynamodb:GetItem': ['CLIENT#*', 'USER#*'] },
  'factors-enroll': {
    'dynamodb:GetItem': ['CLIENT#*', 'USER#*'],
    'dynamodb:UpdateItem': ['RATE#*', 'USER#*'],
  },
  'flow-start': { 'dynamodb:GetItem': ['USER#*'], 'dynamodb:UpdateItem': ['USER#*'] },
  'flow-verify': { 'dynamodb:GetItem': ['USER#*'], 'dynamodb:UpdateItem': ['USER#*'] },
  'flow-undo-challenge': { 'dynamodb:UpdateItem': ['RATE#*', 'USER#*'] },
};

const leadingKeys = (statement: Statement) =>
  [
    ...((statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as
      | string[]
      | undefined) ?? []),
  ].sort();

const refOf = (value: unknown): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']?.[0];
};

describe.each(['kms', 'envelope'] as const)('least privilege (%s signing)', (signing) => {
  let resources: Resources;
  let byHandler: Map<string, Statement[]>;

  beforeAll(() => {
    resources = synthStack({ signing }).template.toJSON().Resources as Resources;
    byHandler = handlerStatements(resources);
  });

  it('has one function per handler of the route table and the workflow, plus the authorizer', () => {
    const handlers = new Set([...routes.map((route) => route.handler), 'authorizer']);
    for (const task of ['start', 'challenge', 'undo-challenge', 'verify', 'cancel', 'status']) {
      handlers.add(`flow-${task}`);
    }
    expect([...byHandler.keys()].sort()).toEqual([...handlers].sort());
  });

  it('allows each function exactly the actions its handler uses', () => {
    for (const [handler, statements] of byHandler) {
      let expected = EXPECTED_ACTIONS[handler] ?? ['(no expectation)'];
      if (signing === 'envelope' && handler === 'well-known-jwks') {
        expected = ['dynamodb:GetItem', 'kms:Decrypt'];
      }
      // Factor and trusted-payee changes read the public keys (step-up tokens): from the key
      // item in envelope mode.
      if (
        signing === 'envelope' &&
        /^(factors|trusted-payees)-/.test(handler) &&
        !handler.endsWith('-list')
      ) {
        expected = expected.filter((action) => action !== 'kms:GetPublicKey');
      }
      if (signing === 'envelope' && SIGNERS.includes(handler)) {
        expected = [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'events:PutEvents',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          ...(handler === 'authn-verify' ? ['secretsmanager:GetSecretValue'] : []),
          'states:StartSyncExecution',
        ];
      }
      expect(allowedActions(statements), handler).toEqual(expected);
    }
  });

  it('gives the authorizer nothing but writes to its own log group and X-Ray', () => {
    const { roleId, functionId } = handlerResources(resources).get('authorizer') ?? {};
    const statements = roleStatements(resources, roleId ?? '');
    const logGroup = logGroupOf(resources, functionId ?? '');
    expect(statements.flatMap((s) => s.Action).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const logs = statements.find((s) => s.Action.includes('logs:PutLogEvents'));
    expect(logs?.Resource.map(refOf)).toEqual([logGroup]);
  });

  it('limits every table action to the table itself and to the item kinds the handler touches', () => {
    for (const [handler, statements] of byHandler) {
      for (const statement of statements.filter((s) =>
        s.Action.some((a) => a.startsWith('dynamodb:')),
      )) {
        expect(statement.Action, handler).toHaveLength(1);
        expect(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']).toContain(
          statement.Action[0],
        );
        expect(statement.Resource.map(refOf), handler).toEqual(['DataTableFDBAD0F2']);
        expect(leadingKeys(statement).length, handler).toBeGreaterThan(0);
      }
    }
    for (const [handler, items] of Object.entries(EXPECTED_ITEMS)) {
      const statements = byHandler.get(handler) ?? [];
      for (const [action, kinds] of Object.entries(items)) {
        const statement = statements.find((s) => s.Action[0] === action);
        const signingItem =
          signing === 'envelope' &&
          ['factors-enroll', 'trusted-payees-add', ...SIGNERS].includes(handler) &&
          action === 'dynamodb:GetItem'
            ? ['KEYS#token-signing']
            : [];
        expect(statement && leadingKeys(statement), `${handler} ${action}`).toEqual(
          [...kinds, ...signingItem].sort(),
        );
      }
    }
  });

  it('uses the data key only through DynamoDB or Secrets Manager, or with a TOTP/signing context', () => {
    for (const [handler, statements] of byHandler) {
      for (const statement of statements.filter((s) =>
        s.Action.some((a) => /^kms:(Decrypt|GenerateDataKey)$/.test(a)),
      )) {
        expect(statement.Resource.map(refOf), handler).toEqual(['DataDataKeyCDD1A924']);
        const condition = JSON.stringify(statement.Condition ?? {});
        expect(condition, handler).toMatch(
          /kms:ViaService|kms:EncryptionContext:factorId|kms:EncryptionContext:purpose/,
        );
      }
    }
    // Only the functions of TOTP and passkey factors may open or seal their secrets (the
    // challenge opens a passkey's credential for its id).
    const totp = [...byHandler]
      .filter(([, statements]) =>
        statements.some((s) => JSON.stringify(s.Condition ?? {}).includes('factorId')),
      )
      .map(([handler]) => handler)
      .sort();
    expect(totp).toEqual(['factors-activate', 'factors-enroll', 'flow-challenge', 'flow-verify']);
  });

  it('sends SMS only from the enrollment functions, to phone numbers only', () => {
    const senders = [...byHandler]
      .filter(([, statements]) =>
        statements.some((s) => s.Effect === 'Allow' && s.Action.includes('sns:Publish')),
      )
      .map(([handler]) => handler)
      .sort();
    expect(senders).toEqual(['factors-enroll', 'factors-resend']);
    for (const handler of senders) {
      const deny = byHandler
        .get(handler)
        ?.find((s) => s.Effect === 'Deny' && s.Action.includes('sns:Publish'));
      expect(JSON.stringify(deny?.Resource)).toContain(':sns:*:*:*');
    }
  });

  it('sends email only through the configured SES identity, as the configured sender', () => {
    for (const [handler, statements] of byHandler) {
      const email = statements.find((s) => s.Action.includes('ses:SendEmail'));
      if (!email) continue;
      expect(JSON.stringify(email.Resource), handler).toContain(
        ':identity/no-reply@mfa.example.com',
      );
      expect(email.Condition, handler).toEqual({
        StringEquals: { 'ses:FromAddress': 'no-reply@mfa.example.com' },
      });
    }
  });

  it('lets the state machine invoke its tasks, publish SMS (never to a topic) and send as the sender', () => {
    const [roleId] = single(
      ofType(resources, 'AWS::IAM::Role').filter(([, role]) =>
        JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('states.'),
      ),
      'state machine role',
    );
    const statements = roleStatements(resources, roleId);
    const denies = statements.filter((s) => s.Effect === 'Deny');
    expect(denies.flatMap((s) => s.Action).sort()).toEqual(['ses:SendEmail', 'sns:Publish']);
    const invoked = statements
      .filter((s) => s.Action.includes('lambda:InvokeFunction'))
      .flatMap((s) => s.Resource.map(refOf).filter(Boolean));
    const tasks = [...handlerResources(resources)]
      .filter(([handler]) => handler.startsWith('flow-'))
      .map(([, { functionId }]) => functionId);
    expect([...new Set(invoked)].sort()).toEqual(tasks.sort());
  });

  it('has no "*" action anywhere, and no wildcard action in any role policy', () => {
    const everything = allPolicyStatements(resources);
    expect(everything.length).toBeGreaterThan(50);
    for (const statement of everything) expect(statement.Action).not.toContain('*');
    for (const [, policy] of ofType(resources, 'AWS::IAM::Policy')) {
      for (const statement of statementsOf(policy.Properties.PolicyDocument)) {
        for (const action of statement.Action) expect(action).not.toContain('*');
      }
    }
  });

  it('attaches no AWS managed policy to any role but the account-level API Gateway logging role', () => {
    const managed = ofType(resources, 'AWS::IAM::Role').filter(
      ([, role]) => role.Properties.ManagedPolicyArns !== undefined,
    );
    expect(managed.map(([id]) => id)).toEqual([expect.stringMatching(/^ServiceApiCloudWatchRole/)]);
  });
});

describe('token signing key (kms signing)', () => {
  let resources: Resources;
  beforeAll(() => {
    resources = synthStack().template.toJSON().Resources as Resources;
  });

  const signingKey = () => {
    const keys = ofType(resources, 'AWS::KMS::Key').filter(
      ([, key]) => key.Properties.KeySpec === 'ECC_NIST_P256',
    );
    const [id, key] = single(keys, 'signing key');
    return { id, key, statements: statementsOf(key.Properties.KeyPolicy) };
  };

  it('is an ECC_NIST_P256 SIGN_VERIFY key', () => {
    expect(signingKey().key.Properties).toMatchObject({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
    });
  });

  it('lets only the signing functions sign: in the key policy and in IAM', () => {
    const roles = SIGNERS.map((handler) => ({
      'Fn::GetAtt': [handlerResources(resources).get(handler)?.roleId, 'Arn'],
    }));
    const { statements, id } = signingKey();
    const allowsSign = statements.filter(
      (s) => s.Effect === 'Allow' && s.Action.some((a) => a === 'kms:Sign' || a === 'kms:*'),
    );
    expect(allowsSign).toHaveLength(1);
    expect(allowsSign[0]?.Principal).toEqual({ AWS: roles });
    const deny = statements.find((s) => s.Effect === 'Deny');
    expect(deny).toMatchObject({
      Action: ['kms:Sign'],
      Principal: { AWS: '*' },
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': roles } },
    });
    // The account may administer the key, never use it to sign.
    for (const statement of statements.filter((s) => s.Sid === 'KeyAdministration')) {
      expect(statement.Action.filter((a) => /Sign|\*/.test(a))).toEqual([]);
    }
    const signers = [...handlerStatements(resources)]
      .filter(([, st]) =>
        st.some((s) => s.Action.includes('kms:Sign') && s.Resource.map(refOf).includes(id)),
      )
      .map(([handler]) => handler);
    expect(signers).toEqual(SIGNERS);
  });

  it('publishes its public key through the JWKS function, which cannot sign', () => {
    const jwks = handlerStatements(resources).get('well-known-jwks') ?? [];
    expect(jwks.flatMap((s) => s.Action)).toContain('kms:GetPublicKey');
    expect(jwks.flatMap((s) => s.Action)).not.toContain('kms:Sign');
  });
});

describe('signing key rotation (signingKeyVersion)', () => {
  it('version 2: a new key signs, version 1 (same id as before) stays published and signs for nobody', () => {
    const resources = synthStack({ signingKeyVersion: 2 }).template.toJSON().Resources as Resources;
    const keys = ofType(resources, 'AWS::KMS::Key').filter(
      ([, key]) => key.Properties.KeySpec === 'ECC_NIST_P256',
    );
    const ids = keys.map(([id]) => id).sort();
    expect(ids).toHaveLength(2);
    // Version 1 keeps the logical id of a stack that never rotated: no key is replaced.
    const [v1] = single(
      ofType(synthStack().template.toJSON().Resources as Resources, 'AWS::KMS::Key').filter(
        ([, key]) => key.Properties.KeySpec === 'ECC_NIST_P256',
      ),
      'version 1 key',
    );
    expect(ids).toContain(v1);
    const v2 = ids.find((id) => id !== v1) as string;
    expect(v2).toMatch(/SigningKeyV2/);

    const { functionId, roleId } = handlerResources(resources).get('authn-verify') ?? {};
    const env = (
      propertiesOf(resources, functionId ?? '').Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    // The current key first (signs), then the previous one (published).
    expect(JSON.stringify(env.SIGNING_KEY_IDS)).toMatch(new RegExp(`${v2}.*,.*${v1}`));
    const statements = roleStatements(resources, roleId ?? '');
    const signOn = statements
      .filter((st) => st.Action.includes('kms:Sign'))
      .flatMap((st) => st.Resource.map(refOf));
    expect(signOn).toEqual([v2]);
    const publicOn = statements
      .filter((st) => st.Action.includes('kms:GetPublicKey'))
      .flatMap((st) => st.Resource.map(refOf))
      .sort();
    expect(publicOn).toEqual([v1, v2].sort());
    const retiredPolicy = statementsOf(resources[v1 as string]?.Properties.KeyPolicy);
    expect(retiredPolicy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: ['kms:Sign'], Principal: { AWS: '*' } }),
      ]),
    );
    expect(
      retiredPolicy.some((st) => st.Effect === 'Allow' && [st.Action].flat().includes('kms:Sign')),
    ).toBe(false);
  });

  it('version 3 keeps versions 2 and 1, retained and published; a version below 1 fails the synth', () => {
    const resources = synthStack({ signingKeyVersion: 3 }).template.toJSON().Resources as Resources;
    const keys = ofType(resources, 'AWS::KMS::Key').filter(
      ([, key]) => key.Properties.KeySpec === 'ECC_NIST_P256',
    );
    const ids = keys.map(([id]) => id);
    expect(ids.some((id) => id.includes('SigningKeyV3'))).toBe(true);
    expect(ids.some((id) => id.includes('SigningKeyV2'))).toBe(true);
    expect(ids.some((id) => /SigningKey[0-9A-F]{8}$/.test(id))).toBe(true);
    expect(ids).toHaveLength(3);
    // Receipts are records: a key that signed one is never deleted with the stack.
    for (const [id, key] of keys) expect(key.DeletionPolicy, id).toBe('Retain');
    // Every version is published (SIGNING_KEY_IDS of the JWKS function).
    const jwks = ofType(resources, 'AWS::Lambda::Function').find(([, fn]) =>
      JSON.stringify(fn.Properties.Tags ?? []).includes('well-known-jwks'),
    );
    if (!jwks) throw new Error('no well-known-jwks function');
    const env = (jwks[1].Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(JSON.stringify(env.SIGNING_KEY_IDS).match(/SigningKey/g)).toHaveLength(3);
    expect(() => synthStack({ signingKeyVersion: 0 })).toThrow(/signingKeyVersion/);
  });
});

describe('envelope signing', () => {
  let resources: Resources;
  beforeAll(() => {
    resources = synthStack({ signing: 'envelope' }).template.toJSON().Resources as Resources;
  });

  it('creates no asymmetric key and tells the functions to use the envelope signer', () => {
    expect(
      ofType(resources, 'AWS::KMS::Key').filter(([, k]) => k.Properties.KeySpec !== undefined),
    ).toEqual([]);
    for (const [, fn] of ofType(resources, 'AWS::Lambda::Function')) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      if (!('TABLE_NAME' in env)) continue;
      expect(env.SIGNING_MODE).toBe('envelope');
      expect(env).not.toHaveProperty('SIGNING_KEY_IDS');
    }
  });

  it('lets only the signing functions create and open the sealed signing key', () => {
    const byHandler = handlerStatements(resources);
    const withPurpose = [...byHandler]
      .filter(([, st]) =>
        st.some((s) =>
          JSON.stringify(s.Condition ?? {}).includes('"kms:EncryptionContext:purpose"'),
        ),
      )
      .map(([handler]) => handler);
    expect(withPurpose).toEqual(SIGNERS);
    for (const signer of SIGNERS) {
      const put = (byHandler.get(signer) ?? []).find((s) => s.Action.includes('dynamodb:PutItem'));
      expect(put && leadingKeys(put)).toEqual(['KEYS#token-signing']);
    }
    const jwks = byHandler.get('well-known-jwks') ?? [];
    const get = jwks.find((s) => s.Action.includes('dynamodb:GetItem'));
    expect(get && leadingKeys(get)).toEqual(['KEYS#token-signing']);
    expect(jwks.flatMap((s) => s.Action)).not.toContain('kms:GenerateDataKey');
  });
});
