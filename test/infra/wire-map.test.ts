import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_WIRE } from '../../local/wire-map.js';
import { callerActions, wireMapTable } from '../../scripts/wire-map.js';
import { resourcesOf, synthStack } from '../support/synth.js';

/**
 * The wire map: every AWS API a function (or the workflow) is allowed to call, read from the
 * synthesized template's IAM policies, has a local endpoint, so the local runtime and the
 * integration tests run what production runs; and README's table says so.
 */
const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe.each(['kms', 'envelope'] as const)('the wire map (%s signing)', (signing) => {
  const resources = resourcesOf(synthStack({ signing }).template) as Parameters<
    typeof callerActions
  >[0];
  const callers = callerActions(resources);

  it('finds the callers: every API handler, every task, and the workflow', () => {
    expect(callers.get('MfaFlow')).toEqual(
      expect.arrayContaining(['lambda:InvokeFunction', 'sns:Publish', 'ses:SendEmail']),
    );
    expect(callers.get('flow-verify')).toEqual(
      expect.arrayContaining(['dynamodb:UpdateItem', 'events:PutEvents']),
    );
  });

  it('every permitted call has a local endpoint', () => {
    const unserved = [...callers].flatMap(([caller, actions]) =>
      actions.filter((action) => !LOCAL_WIRE[action]).map((action) => `${caller}: ${action}`),
    );
    expect(unserved).toEqual([]);
  });

  it("README's wire map lists every call and what serves it", () => {
    for (const row of wireMapTable(resources).split('\n').slice(2)) {
      const [, action, , served] = /^\| (`[^`]+`) \| (.*) \| (.*) \|$/.exec(row) ?? [];
      expect(action, row).toBeDefined();
      const line = readme.split('\n').find((l) => l.startsWith(`| ${action} |`));
      expect(line, `README row for ${action}`).toBeDefined();
      expect(line).toContain(served);
    }
  });
});
