import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deps, deps, overrideDeps } from '../../shared/deps.js';
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

describe('a busy AWS service', () => {
  it('in an API function: 503 service_unavailable with Retry-After, not a 500', async () => {
    overrideDeps({
      ...normal,
      factors: {
        ...normal.factors,
        getUser: async () => {
          throw throttled();
        },
      },
    });
    try {
      const response = await fetch(`${runtime.url}/v1/users/${unique('busy')}/factors`, {
        headers: { authorization: basicAuth() },
      });
      await expectProblem(response, 503, 'service_unavailable');
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      overrideDeps(normal);
    }
  });

  it('in a workflow task: the same answer through MfaFlow', async () => {
    overrideDeps({
      ...normal,
      factors: {
        ...normal.factors,
        getUser: async () => {
          throw throttled();
        },
      },
    });
    try {
      const response = await postJson(runtime.url, '/v1/authn', { userId: unique('busy') });
      await expectProblem(response, 503, 'service_unavailable');
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      overrideDeps(normal);
    }
  });

  it('any other unexpected error is still a generic 500', async () => {
    overrideDeps({
      ...normal,
      factors: {
        ...normal.factors,
        getUser: async () => {
          throw new Error('boom');
        },
      },
    });
    try {
      const response = await fetch(`${runtime.url}/v1/users/${unique('boom')}/factors`, {
        headers: { authorization: basicAuth() },
      });
      const body = await expectProblem(response, 500, 'internal_error');
      expect(JSON.stringify(body)).not.toContain('boom');
    } finally {
      overrideDeps(normal);
    }
  });
});
