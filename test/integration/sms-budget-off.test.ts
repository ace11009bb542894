import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeFactor,
  challenge,
  lastCode,
  startAuthn,
  unique,
  uniquePhone,
  verify,
} from '../support/flows.js';
import { startTestRuntime } from '../support/local.js';

/** `SMS_PER_APP_PER_HOUR=0` turns the app's SMS budget off, and its DynamoDB request with it. */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime({ env: { SMS_PER_APP_PER_HOUR: '0' } });
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

const requests = () => Object.values(runtime.stats.dynamodbRequests).reduce((a, b) => a + b, 0);

describe('without the SMS budget (SMS_PER_APP_PER_HOUR=0)', () => {
  it('an SMS flow costs 6 DynamoDB requests and nothing is refused for budget', async () => {
    const userId = unique('nobudget');
    const phone = uniquePhone();
    const factorId = await activeFactor(base, userId, 'sms', phone);
    const before = requests();
    const started = await startAuthn(base, { userId });
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
    const verified = await verify(base, started.stateToken, factorId, await lastCode(base, phone));
    expect(verified.status).toBe(200);
    expect(requests() - before).toBe(6);
    expect(runtime.logs.some((line) => line.includes('sms budget exceeded'))).toBe(false);
  });
});
