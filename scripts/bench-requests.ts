/**
 * DynamoDB requests and workflow executions of one full flow (start → challenge → verify) per
 * factor type (a passkey's with the tests' software authenticator), counted by the local runtime's instrumented DynamoDB client (not typed by
 * hand). Prints one JSON line. `npm run bench` runs it once with the default configuration
 * and once with `SMS_PER_APP_PER_HOUR=0` (the app's SMS budget off), each in its own process:
 * a runtime's configuration is read once per process.
 */
import { generateSync } from 'otplib';
import { assert, newCredential, register } from '../test/support/webauthn-authenticator.js';
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
// A passkey (software authenticator): enroll + register, then start → challenge → verify.
{
  const userId = 'bench-requests-passkey';
  const origin = `http://localhost:${new URL(runtime.url).port}`;
  const enrolled = await post(`/v1/users/${userId}/factors`, { type: 'webauthn' });
  const factorId = enrolled.factor.id as string;
  const cred = newCredential();
  const ceremony = (challenge: string) => ({ challenge, origin, rpId: 'localhost' });
  await post(`/v1/users/${userId}/factors/${factorId}/activate`, {
    credential: register(cred, ceremony(enrolled.activation.publicKey.challenge)),
  });
  const before = requests();
  const executions = runtime.stats.workflowExecutions;
  const { stateToken } = await post('/v1/authn', {
    userId,
    transaction: { amount: '42.50', currency: 'EUR', payee: 'Acme Ltd' },
  });
  const challenged = await post(`/v1/authn/factors/${factorId}/challenge`, { stateToken });
  const verified = await post(`/v1/authn/factors/${factorId}/verify`, {
    stateToken,
    credential: assert(cred, ceremony(challenged.publicKey.challenge)),
  });
  if (verified.status !== 'SUCCESS') throw new Error('The passkey flow did not succeed');
  result.webauthn = {
    dynamodb: requests() - before,
    executions: runtime.stats.workflowExecutions - executions,
  };
}
await runtime.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
