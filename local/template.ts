import { HANDLER_TAG } from '../shared/flow.js';

/**
 * Reads what the local runtime needs from the synthesized CloudFormation template: the
 * `MfaFlow` ASL, the handler module behind each Lambda function and the functions'
 * environment, with the few intrinsic functions CDK uses resolved to local values.
 */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

const arnOf = (template: CfnTemplate, logicalId: string): string => {
  const type = template.Resources[logicalId]?.Type;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${logicalId}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${logicalId}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
    default:
      throw new Error(`No local ARN for ${logicalId} (${type ?? 'unknown resource'})`);
  }
};

const pseudo: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Resolves `Ref`, `Fn::GetAtt … Arn` and `Fn::Join`; anything else is an error, not a guess. */
export const resolveIntrinsics = (template: CfnTemplate, value: unknown): unknown => {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(template, item));
  const record = value as Record<string, unknown>;
  if ('Ref' in record) {
    const ref = String(record.Ref);
    if (pseudo[ref]) return pseudo[ref];
    if (template.Resources[ref]?.Type === 'AWS::StepFunctions::StateMachine') {
      return arnOf(template, ref);
    }
    if (template.Resources[ref]) return ref; // local physical name = logical id
    throw new Error(`Cannot resolve Ref ${ref}`);
  }
  if ('Fn::GetAtt' in record) {
    const [logicalId, attribute] = record['Fn::GetAtt'] as [string, string];
    if (attribute !== 'Arn') throw new Error(`Cannot resolve GetAtt ${logicalId}.${attribute}`);
    return arnOf(template, logicalId);
  }
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(template, part)).join(separator);
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(record)) out[key] = resolveIntrinsics(template, inner);
  return out;
};

const resourcesOfType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** The ASL of the one state machine, as the deployed service would run it. */
export const stateMachineDefinition = (template: CfnTemplate): Record<string, unknown> => {
  const machines = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1)
    throw new Error(`Expected one state machine, found ${machines.length}`);
  const [, machine] = machines[0] as [string, CfnResource];
  const definition = resolveIntrinsics(template, machine.Properties?.DefinitionString);
  return JSON.parse(String(definition)) as Record<string, unknown>;
};

/** Handler module name (`functions/<name>.ts`) of a function ARN from the resolved ASL. */
export const handlerOfFunctionArn = (template: CfnTemplate, functionArn: string): string => {
  const logicalId = functionArn.split(':').at(-1) ?? '';
  const tags = template.Resources[logicalId]?.Properties?.Tags as
    | { Key: string; Value: string }[]
    | undefined;
  const handler = tags?.find((tag) => tag.Key === HANDLER_TAG)?.Value;
  if (!handler) throw new Error(`Function ${logicalId} has no ${HANDLER_TAG} tag`);
  return handler;
};

/** The environment the stack gives its functions, resolved to local values. */
export const functionEnvironment = (template: CfnTemplate): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const variables = (fn.Properties?.Environment as { Variables?: unknown } | undefined)
      ?.Variables;
    Object.assign(env, resolveIntrinsics(template, variables ?? {}));
  }
  return env;
};

/** The one DynamoDB table: its logical id (the local table name) and its properties. */
export const tableResource = (
  template: CfnTemplate,
): { name: string; properties: Record<string, unknown> } => {
  const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new Error(`Expected one table, found ${tables.length}`);
  const [name, table] = tables[0] as [string, CfnResource];
  return { name, properties: table.Properties ?? {} };
};

/** The service's one event bus: its local name is its logical id. */
export const eventBusName = (template: CfnTemplate): string => {
  const buses = resourcesOfType(template, 'AWS::Events::EventBus');
  if (buses.length !== 1) throw new Error(`Expected one event bus, found ${buses.length}`);
  return (buses[0] as [string, CfnResource])[0];
};
