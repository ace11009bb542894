/**
 * DynamoDB requests and workflow executions of one full flow (start → challenge → verify) per
 * factor type, counted by the local runtime's instrumented DynamoDB client (not typed by
 * hand). Prints one JSON line. `npm run bench` runs it once with the default configuration
 * and once with `SMS_PER_APP_PER_HOUR=0` (the app's SMS budget off), each in its own process:
 * a runtime's configuration is read once per process.
 */
import { generateSync } from 'otplib';
import { startBenchRuntime } from './bench-runtime.js';

const { runtime, post, lastCode } = await startBenchRuntime();
const totp = (secret: string, steps = 0) =>
  generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
const requests = () => Object.values(runtime.stats.dynamodbRequests).reduce((a, b) => a + b, 0);

const kinds = ['email', 'sms', 'totp'] as const;
const result: Record<string, { dynamodb: number; executions: number }> = {};
for (const [i, kind] of kinds.entries()) {
  const userId = `bench-requests-${i}`;
  const to = kind === 'sms' ? `+447700900${String(100 + i)}` : `${userId}@example.com`;
  const body =
    kind === 'totp'
      ? { type: 'totp' }
      : kind === 'sms'
        ? { type: 'sms', phoneNumber: to }
        : { type: 'email', email: to };
  const enrolled = await post(`/v1/users/${userId}/factors`, body);
  const factorId = enrolled.factor.id as string;
  const secret = enrolled.activation.secret as string | undefined;
  await post(`/v1/users/${userId}/factors/${factorId}/activate`, {
    passCode: secret ? totp(secret, -1) : lastCode(to),
  });
  const before = requests();
  const executions = runtime.stats.workflowExecutions;
  const { stateToken } = await post('/v1/authn', { userId });
  await post(`/v1/authn/factors/${factorId}/challenge`, { stateToken });
  await post(`/v1/authn/factors/${factorId}/verify`, {
    stateToken,
    passCode: secret ? totp(secret) : lastCode(to),
  });
  result[kind] = {
    dynamodb: requests() - before,
    executions: runtime.stats.workflowExecutions - executions,
  };
}
await runtime.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
