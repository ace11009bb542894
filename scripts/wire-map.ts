/**
 * `npm run wire-map`: every AWS API each function (and the state machine) may call, from the
 * synthesized template's IAM policies, with what serves it on the local runtime
 * (`local/wire-map.ts`). Prints the Markdown table of README "Local runtime: the wire map".
 */
import { readFileSync } from 'node:fs';
import { ensureTemplate } from '../local/synth.js';
import { LOCAL_WIRE, PLATFORM_ACTION, wireAction } from '../local/wire-map.js';
import { HANDLER_TAG } from '../shared/flow.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Each caller (a handler, or `MfaFlow`) with the actions its role allows, platform ones left out. */
export const callerActions = (resources: Record<string, Resource>): Map<string, string[]> => {
  const roleOf = new Map<string, string>();
  for (const [, resource] of Object.entries(resources)) {
    const reference = (resource.Properties?.Role ?? resource.Properties?.RoleArn) as
      | { 'Fn::GetAtt'?: [string] }
      | undefined;
    const role = reference?.['Fn::GetAtt']?.[0];
    if (!role) continue;
    if (resource.Type === 'AWS::Lambda::Function') {
      const tags = (resource.Properties.Tags ?? []) as { Key: string; Value: string }[];
      const handler = tags.find((tag) => tag.Key === HANDLER_TAG)?.Value;
      if (handler) roleOf.set(role, handler);
    } else if (resource.Type === 'AWS::StepFunctions::StateMachine') roleOf.set(role, 'MfaFlow');
  }
  const actions = new Map<string, Set<string>>();
  for (const [, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const document = resource.Properties.PolicyDocument as {
      Statement: { Effect: string; Action: string | string[] }[];
    };
    for (const role of resource.Properties.Roles as { Ref: string }[]) {
      const caller = roleOf.get(role.Ref);
      if (!caller) continue;
      const set = actions.get(caller) ?? new Set<string>();
      for (const statement of document.Statement) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of [statement.Action].flat())
          if (!PLATFORM_ACTION.test(action)) set.add(wireAction(action));
      }
      actions.set(caller, set);
    }
  }
  return new Map([...actions].map(([caller, set]) => [caller, [...set].sort()]));
};

export const wireMapTable = (resources: Record<string, Resource>): string => {
  const rows = [...callerActions(resources)].sort(([a], [b]) => a.localeCompare(b));
  const used = [...new Set(rows.flatMap(([, actions]) => actions))].sort();
  return [
    '| AWS API | called by | served locally by |',
    '|---|---|---|',
    ...used.map(
      (action) =>
        `| \`${action}\` | ${rows
          .filter(([, actions]) => actions.includes(action))
          .map(([caller]) => caller)
          .join(', ')} | ${LOCAL_WIRE[action] ?? '**nothing**'} |`,
    ),
  ].join('\n');
};

if (import.meta.filename === process.argv[1]) {
  const template = JSON.parse(readFileSync(await ensureTemplate(process.cwd()), 'utf8')) as {
    Resources: Record<string, Resource>;
  };
  process.stdout.write(`${wireMapTable(template.Resources)}\n`);
}
