import { describe, expect, it } from 'vitest';
import { lintOpenApi } from '../../scripts/openapi.js';
import { openApiDocument } from '../../shared/openapi/document.js';

// Redocly CLI (pinned) under redocly.yaml (`recommended-strict`): structure, references,
// security on every operation, and every example against its schema. Offline, no telemetry.
describe('the OpenAPI description passes Redocly lint', () => {
  it.each([
    [
      'as a stack serves it (its issuer)',
      'https://abc123.execute-api.eu-west-2.amazonaws.com/live',
    ],
    ['without an issuer (the stage URL template)', undefined],
  ])('%s: 0 errors, 0 warnings', async (_name, serverUrl) => {
    const report = await lintOpenApi(openApiDocument({ serverUrl }));
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('fails a document with an example its schema refuses', async () => {
    const document = openApiDocument() as {
      components: { examples: Record<string, { value: Record<string, unknown> }> };
    };
    const example = document.components.examples.invalid_passcode;
    expect(example).toBeDefined();
    (example as { value: Record<string, unknown> }).value.attemptsRemaining = 'four';
    const report = await lintOpenApi(document);
    expect(report.totals.errors).toBeGreaterThan(0);
    expect(report.problems.map((p) => p.ruleId)).toContain('no-invalid-media-type-examples');
  });
});
