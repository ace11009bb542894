import type { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createSfnWorkflow } from '../../shared/adapters/aws/sfn-workflow.js';
import { MfaError } from '../../shared/errors.js';
import { type FlowOutcome, flowResult, refusal, type StatusInput } from '../../shared/flow.js';

/** What `flowResult` threw, or undefined. */
const thrownBy = (output: unknown): unknown => {
  try {
    flowResult(output);
    return undefined;
  } catch (error) {
    return error;
  }
};

const input: StatusInput = {
  operation: 'status',
  requestId: 'r1',
  clientId: 'app',
  userRef: 'u',
  stateTokenHash: 'h',
};

/** A StartSyncExecution client that answers `answer` (the output as the workflow wrote it). */
const sfnAnswering = (answer: { status: string; output?: string; error?: string }) =>
  ({ send: async () => answer }) as unknown as SFNClient;

describe('workflow outcome → result or MfaError', () => {
  it('an accepted outcome is its body, and for verify its claims', () => {
    const claims = { sub: 'u', aud: 'app', auth_time: 1, amr: ['otp'], acr: 'mfa', txn: 't' };
    expect(flowResult({ ok: true, body: { status: 'SUCCESS' } })).toEqual({
      body: { status: 'SUCCESS' },
    });
    expect(flowResult({ ok: true, body: { status: 'SUCCESS' }, claims })).toEqual({
      body: { status: 'SUCCESS' },
      claims,
    });
  });

  it('a refusal is thrown again as the same MfaError: code, detail, extras', () => {
    const original = new MfaError('invalid_passcode', 'The code is not right', {
      attemptsRemaining: 2,
    });
    // Through JSON, as the outcome crosses Lambda and Step Functions.
    const error = thrownBy(JSON.parse(JSON.stringify(refusal(original))));
    expect(error).toBeInstanceOf(MfaError);
    expect(error).toMatchObject({
      code: 'invalid_passcode',
      status: 401,
      detail: 'The code is not right',
      extras: { attemptsRemaining: 2 },
      headers: {},
    });
  });

  it('Retry-After travels as an extra and comes back as the header, not as a member', () => {
    const original = new MfaError('too_many_challenges', 'Later', {}, { 'retry-after': '1800' });
    const outcome = refusal(original);
    expect(outcome).toMatchObject({ ok: false, extras: { retryAfter: 1800 } });
    const error = thrownBy(JSON.parse(JSON.stringify(outcome)));
    expect(error).toMatchObject({
      code: 'too_many_challenges',
      status: 429,
      extras: {},
      headers: { 'retry-after': '1800' },
    });
  });

  it('an output of any other shape is a plain error (a generic 500), never a result', () => {
    for (const output of [
      null,
      'SUCCESS',
      { ok: true },
      { ok: true, body: 'u' },
      { ok: false, code: 'no_such_code' },
      { body: {} },
    ]) {
      const error = thrownBy(output);
      expect(error, JSON.stringify(output)).toBeInstanceOf(Error);
      expect(error, JSON.stringify(output)).not.toBeInstanceOf(MfaError);
    }
  });
});

describe('Step Functions workflow adapter', () => {
  it('answers the body of a succeeded execution', async () => {
    const outcome: FlowOutcome = { ok: true, body: { status: 'CANCELLED' } };
    const sfn = sfnAnswering({ status: 'SUCCEEDED', output: JSON.stringify(outcome) });
    await expect(createSfnWorkflow(sfn, 'arn').run(input)).resolves.toEqual({
      body: { status: 'CANCELLED' },
    });
  });

  it("throws a task's refusal as its MfaError, Retry-After included", async () => {
    const outcome = refusal(new MfaError('rate_limited', 'Wait', {}, { 'retry-after': '7' }));
    const sfn = sfnAnswering({ status: 'SUCCEEDED', output: JSON.stringify(outcome) });
    const error = await createSfnWorkflow(sfn, 'arn')
      .run(input)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MfaError);
    expect(error).toMatchObject({ code: 'rate_limited', headers: { 'retry-after': '7' } });
  });

  it('a failed execution is WorkflowFailedError with the error name only', async () => {
    const sfn = sfnAnswering({ status: 'FAILED', error: 'States.TaskFailed' });
    await expect(createSfnWorkflow(sfn, 'arn').run(input)).rejects.toMatchObject({
      name: 'WorkflowFailedError',
      message: 'MfaFlow FAILED: States.TaskFailed',
    });
  });
});
