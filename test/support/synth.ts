import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MfaServiceStack, type MfaServiceStackProps } from '../../infra/mfa-service-stack.js';
import { HANDLER_TAG } from '../../shared/flow.js';

/**
 * Synthesizes the service stack in-process (Lambda bundling skipped unless asked for). A
 * caller that bundles reads the bundles from `outdir` and removes it (`removeSynth`).
 */
export const synthStack = (props: MfaServiceStackProps = {}, bundle = false) => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'mfa-synth-'));
  const app = new App({ outdir, context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MfaServiceStack(app, 'MfaServiceStack', props);
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
};

/** Removes a synthesized assembly (each bundled one is ~22 MB). */
export const removeSynth = (outdir: string) => rmSync(outdir, { recursive: true, force: true });

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
export type Resources = Record<string, CfnResource>;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Statements with `Action` and `Resource` always as lists. */
export const statementsOf = (document: unknown): Statement[] =>
  asList((document as { Statement?: unknown }).Statement).map((raw) => {
    const statement = raw as Statement & { Action: string | string[]; Resource: unknown };
    return {
      ...statement,
      Action: asList(statement.Action),
      Resource: asList(statement.Resource),
    };
  });

export const resourcesOf = (template: Template): Resources =>
  template.toJSON().Resources as Resources;

export const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);

/** The handler (`mfa:handler` tag) of each Lambda function, by logical id. */
export const handlerOfFunction = (resources: Resources): Map<string, string> =>
  new Map(
    ofType(resources, 'AWS::Lambda::Function').map(([id, fn]) => {
      const tags = (fn.Properties.Tags ?? []) as { Key: string; Value: string }[];
      return [id, tags.find((tag) => tag.Key === HANDLER_TAG)?.Value ?? ''];
    }),
  );

/** A resource's properties; a missing resource is a test failure, not a TypeError. */
export const propertiesOf = (resources: Resources, id: string): Record<string, unknown> => {
  const resource = resources[id];
  if (!resource) throw new Error(`No resource ${id} in the template`);
  return resource.Properties;
};

/** The logical id of a function's own log group. */
export const logGroupOf = (resources: Resources, functionId: string): string =>
  (propertiesOf(resources, functionId).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;

/** The logical id of each handler's function and of its role. */
export const handlerResources = (resources: Resources) => {
  const out = new Map<string, { functionId: string; roleId: string }>();
  for (const [functionId, handler] of handlerOfFunction(resources)) {
    const role = propertiesOf(resources, functionId).Role as { 'Fn::GetAtt': [string] };
    out.set(handler, { functionId, roleId: role['Fn::GetAtt'][0] });
  }
  return out;
};

/** Every IAM statement attached to a role, from all its `AWS::IAM::Policy` resources. */
export const roleStatements = (resources: Resources, roleId: string): Statement[] =>
  ofType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
    )
    .flatMap(([, policy]) => statementsOf(policy.Properties.PolicyDocument));

/** IAM statements of each handler's role. */
export const handlerStatements = (resources: Resources): Map<string, Statement[]> =>
  new Map(
    [...handlerResources(resources)].map(([handler, { roleId }]) => [
      handler,
      roleStatements(resources, roleId),
    ]),
  );

/** Actions a role is allowed, minus what every function has (its log group, X-Ray). */
export const allowedActions = (statements: Statement[]): string[] =>
  [
    ...new Set(
      statements
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => statement.Action)
        .filter((action) => !/^(logs:(CreateLogStream|PutLogEvents)|xray:.*)$/.test(action)),
    ),
  ].sort();

/** Every policy document of the template: role policies, key policies, topic policies, trust. */
export const allPolicyStatements = (resources: Resources): Statement[] =>
  Object.values(resources).flatMap((resource) => {
    const p = resource.Properties ?? {};
    return [
      p.PolicyDocument,
      p.KeyPolicy,
      p.AssumeRolePolicyDocument,
      ...asList(p.Policies as { PolicyDocument: unknown }[] | undefined).map(
        (policy) => policy.PolicyDocument,
      ),
    ]
      .filter((document) => document !== undefined)
      .flatMap(statementsOf);
  });

/** The one item of a list: anything else fails the test with what was expected. */
export const single = <T>(items: readonly T[], what: string): T => {
  if (items.length !== 1) throw new Error(`Expected one ${what}, found ${items.length}`);
  return items[0] as T;
};
