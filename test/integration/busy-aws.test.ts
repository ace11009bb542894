import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deps, overrideDeps } from '../../shared/deps.js';
import { deps } from '../support/deps.js';
import { expectProblem, unique } from '../support/flows.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let normal: Deps;

beforeAll(async () => {
  runtime = await startTestRuntime();
  normal = deps();
});
afterAll(async () => {
  overrideDeps(normal);
  await runtime?.close();
});

/** An AWS SDK error as DynamoDB throws it once its own retries are spent. */
const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
  });

/** Runs `call` while every read of a user item throws `error` (the real store otherwise). */
const whileUserReadsFail = async (error: () => Error, call: () => Promise<Response>) => {
  overrideDeps({
    ...normal,
    factors: {
      ...normal.factors,
      getUser: async () => {
        throw error();
      },
    },
  });
  try {
    return await call();
  } finally {
    overrideDeps(normal);
  }
};

const listFactors = () =>
  fetch(`${runtime.url}/v1/users/${unique('busy')}/factors`, {
    headers: { authorization: basicAuth() },
  });

describe('a busy AWS service', () => {
  it('in an API function: 503 service_unavailable with Retry-After, not a 500', async () => {
    const response = await whileUserReadsFail(throttled, listFactors);
    await expectProblem(response, 503, 'service_unavailable');
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('in a workflow task: the same answer through MfaFlow', async () => {
    const response = await whileUserReadsFail(throttled, () =>
      postJson(runtime.url, '/v1/authn', { userId: unique('busy') }),
    );
    await expectProblem(response, 503, 'service_unavailable');
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('any other unexpected error is still a generic 500', async () => {
    const response = await whileUserReadsFail(() => new Error('boom'), listFactors);
    const body = await expectProblem(response, 500, 'internal_error');
    expect(JSON.stringify(body)).not.toContain('boom');
  });
});
