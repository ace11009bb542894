import { readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Access, accessOf } from '../../infra/permissions.js';
import { userStore } from '../../shared/compose/dynamo.js';
import { parseConfig, serviceConfigSchema } from '../../shared/config.js';
import {
  composeDeps,
  type Deps,
  overrideDeps,
  type PartKey,
  providerOf,
} from '../../shared/deps.js';
import { apiHandler } from '../../shared/http/api-handler.js';
import { ALL_PARTS } from '../support/deps.js';

// Issue 12 item 4: each function composes the parts (and so the AWS SDK clients) it uses and
// no other, and what it composes is what infra/permissions.ts lets it do.
const root = path.resolve(import.meta.dirname, '../..');
const FUNCTIONS = readdirSync(path.join(root, 'functions'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3))
  .sort();

/** The part that holds each access (a function needs the part iff it has the access). */
const PART_OF: Record<Access, string> = {
  'clients:read': 'clientStore',
  'users:read': 'userStore',
  'users:write': 'userStore',
  'rates:write': 'rateLimiter',
  otpKey: 'otpKeys',
  'totp:seal': 'secretBox',
  'totp:open': 'secretBox',
  'token:sign': 'signer',
  'token:publicKeys': 'signer',
  sms: 'messenger',
  email: 'messenger',
  workflow: 'workflow',
  events: 'events',
  'consent:check': 'consentCheck',
  'passkeys:register': 'passkeyRegistrar',
};

const DYNAMO = ['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb'];
/** The SDK packages each part loads. */
const SDK_OF: Record<string, readonly string[]> = {
  clientStore: DYNAMO,
  userStore: DYNAMO,
  rateLimiter: DYNAMO,
  otpKeys: ['@aws-sdk/client-secrets-manager'],
  secretBox: ['@aws-sdk/client-kms'],
  // kms mode signs with KMS; envelope mode keeps its sealed key in the table.
  signer: ['@aws-sdk/client-kms', ...DYNAMO],
  messenger: ['@aws-sdk/client-sns', '@aws-sdk/client-ses'],
  workflow: ['@aws-sdk/client-sfn'],
  events: ['@aws-sdk/client-eventbridge'],
};

const partsFor = (handler: string) => [...new Set(accessOf(handler).map((a) => PART_OF[a]))].sort();
const sdkFor = (handler: string) =>
  [...new Set(partsFor(handler).flatMap((part) => SDK_OF[part] ?? []))].sort();

const config = parseConfig(serviceConfigSchema, { TABLE_NAME: 'mfa-test' });

beforeAll(() => overrideDeps({ config }));
afterAll(() => overrideDeps({}));

describe('per-function composition', () => {
  it('each function composes exactly the parts its IAM access needs', async () => {
    for (const name of FUNCTIONS) {
      const { handler } = (await import(`../../functions/${name}.ts`)) as {
        handler: { parts?: readonly string[] };
      };
      // The authorizer takes its own dependencies (shared/authz), none of them AWS.
      const parts = name === 'authorizer' ? [] : handler.parts;
      expect({ name, parts: [...(parts ?? ['(none declared)'])].sort() }).toEqual({
        name,
        parts: partsFor(name),
      });
    }
  }, 30_000);

  it("each function's bundle imports the SDK clients of its parts and no other", async () => {
    const result = await build({
      entryPoints: FUNCTIONS.map((name) => path.join(root, 'functions', `${name}.ts`)),
      outdir: path.join(root, '.local', 'composition-test'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: ['@aws-sdk/*'],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const sdkOf = (entry: string) => {
      const output = Object.values(result.metafile.outputs).find(
        (out) => out.entryPoint === `functions/${entry}.ts`,
      );
      const imports = output?.imports.filter((i) => i.path.startsWith('@aws-sdk/')) ?? [];
      return [...new Set(imports.map((i) => i.path))].sort();
    };
    for (const name of FUNCTIONS) {
      expect({ name, sdk: sdkOf(name) }).toEqual({ name, sdk: sdkFor(name) });
    }
    // The light functions load no SDK at all.
    for (const name of ['health', 'demo', 'well-known-openid']) expect(sdkOf(name)).toEqual([]);
  }, 30_000);

  it('a part a function did not compose throws at its first use, naming the part', async () => {
    const deps = composeDeps([userStore]);
    const all = { ...deps(), log: deps().logger }; // spreading it (TaskDeps) is no use
    expect(() => all.messenger.sendSms('+441632960000', 'x')).toThrow(
      'deps.messenger.sendSms: this function does not compose messenger (it composes userStore). Add the part messenger (shared/compose/messenger.ts) to its uses',
    );
    expect(() => deps().clients.get('app')).toThrow(/Add the part clientStore \(shared\/compose/);
    // Not thenable: an accidental `await` of it does not hide the mistake as a hang.
    expect(await Promise.resolve(deps().signer)).toBe(deps().signer);
  });

  it('an override reaches only the functions that compose its part, as on AWS', async () => {
    const run = async () => ({ body: { status: 'SUCCESS' } }) as never;
    overrideDeps({ config, workflow: { run } as Deps['workflow'] });
    try {
      expect(() => composeDeps([])().workflow.run({} as never)).toThrow(/compose workflow/);
      const { workflow } = await import('../../shared/compose/workflow.js');
      expect(composeDeps([workflow])().workflow.run).toBe(run);
    } finally {
      overrideDeps({ config });
    }
  });

  it('auth: client without the clientStore part fails the module load', () => {
    expect(() => apiHandler({ auth: 'client' }, async () => ({ status: 204 }))).toThrow(
      "apiHandler: auth 'client' needs the clientStore part in uses",
    );
  });

  it('every dependency field has exactly the part its error names', () => {
    const keys = new Map<PartKey, string[]>();
    for (const part of ALL_PARTS) {
      for (const key of Object.keys(part.provides) as PartKey[]) {
        keys.set(key, [...(keys.get(key) ?? []), part.name]);
        expect(providerOf(key)).toContain(part.name);
      }
    }
    expect([...keys.keys()].sort()).toEqual(
      [
        'clients',
        'consents',
        'ddb',
        'events',
        'factors',
        'messenger',
        'otpKeys',
        'passkeys',
        'policyStates',
        'audits',
        'rates',
        'secretBox',
        'signer',
        'transactions',
        'workflow',
      ].sort(),
    );
  });
});
