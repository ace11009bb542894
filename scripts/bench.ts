/**
 * `npm run bench`: the local runtime under concurrency, and what one flow costs on AWS.
 * Starts the service in-process on 127.0.0.1, runs a bounded number of full flows (start →
 * challenge → verify, email factor) with a few in flight, and prints flows/s, p50/p99 per
 * call, the measured DynamoDB requests and workflow executions per flow, and the AWS cost per
 * 1M flows at list prices in both signing modes (excluding the SMS/email itself), then the
 * hop model, the capacity table and the estimated p50 per call on AWS (`bench-hops.ts`), and
 * the local efficiency: flows/s ÷ what the stand-ins alone serve of the same mix
 * (`bench-ceiling.ts`).
 * It reports; it asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { tableResource } from '../local/template.js';
import { startBenchRuntime } from './bench-runtime.js';

const FLOWS = Number(process.env.BENCH_FLOWS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

// List prices, us-east-1, per unit (checked 2026; adjust for your region and contract).
const PRICE = {
  apiGatewayRequest: 3.5 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  expressRequest: 1.0 / 1e6,
  expressGbSecond: 0.00001667,
  dynamoWrite: 0.625 / 1e6,
  dynamoRead: 0.125 / 1e6,
  kmsSign: 0.15 / 1e4,
  eventBridgeEvent: 1.0 / 1e6,
  logsIngestedByte: 0.5 / 1024 ** 3,
};

const { runtime, post, lastCode } = await startBenchRuntime();

const users: { userId: string; factorId: string; email: string }[] = [];
for (let i = 0; i < FLOWS; i += 1) {
  const userId = `bench-${i}`;
  const email = `${userId}@example.com`;
  const factorId =
    (await post(`/v1/users/${userId}/factors`, { type: 'email', email })).factor?.id ?? '';
  await post(`/v1/users/${userId}/factors/${factorId}/activate`, { passCode: lastCode(email) });
  users.push({ userId, factorId, email });
}

const timings: Record<'start' | 'challenge' | 'verify', number[]> = {
  start: [],
  challenge: [],
  verify: [],
};
const timed = async <T>(name: keyof typeof timings, call: () => Promise<T>) => {
  const began = performance.now();
  const result = await call();
  timings[name].push(performance.now() - began);
  return result;
};
const ddbBefore = Object.values(runtime.stats.dynamodbRequests).reduce((a, b) => a + b, 0);
const writesBefore = writes();
const executionsBefore = runtime.stats.workflowExecutions;
const eventsBefore = runtime.events.list().length;
const began = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < users.length) {
      const user = users[next++] as (typeof users)[number];
      const { stateToken } = await timed('start', () =>
        post('/v1/authn', {
          userId: user.userId,
          transaction: { amount: '10.00', currency: 'EUR', payee: 'Bench Ltd' },
        }),
      );
      await timed('challenge', () =>
        post(`/v1/authn/factors/${user.factorId}/challenge`, { stateToken }),
      );
      await timed('verify', () =>
        post(`/v1/authn/factors/${user.factorId}/verify`, {
          stateToken,
          passCode: lastCode(user.email),
        }),
      );
    }
  }),
);
const seconds = (performance.now() - began) / 1000;
const ddbPerFlow =
  (Object.values(runtime.stats.dynamodbRequests).reduce((a, b) => a + b, 0) - ddbBefore) / FLOWS;
const writesPerFlow = (writes() - writesBefore) / FLOWS;
const executionsPerFlow = (runtime.stats.workflowExecutions - executionsBefore) / FLOWS;
const eventsPerFlow = (runtime.events.list().length - eventsBefore) / FLOWS;
const eventBytes =
  runtime.events.list().reduce((sum, event) => sum + JSON.stringify(event).length, 0) /
  Math.max(runtime.events.list().length, 1);
// Writes are billed per 1 KB of the item written, strong reads per 4 KB: flows touch the user
// item (factors and transactions together), so its size sets the capacity units per request.
const userItemBytes = await averageUserItemBytes();
const writeUnits = Math.ceil(userItemBytes / 1024);
const readUnits = Math.ceil(userItemBytes / 4096);
await runtime.close();

async function averageUserItemBytes() {
  const ddb = new DynamoDBClient({});
  const scan = await ddb.send(
    new ScanCommand({
      TableName: tableResource(runtime.template).name,
      FilterExpression: 'begins_with(pk, :user)',
      ExpressionAttributeValues: { ':user': { S: 'USER#' } },
    }),
  );
  ddb.destroy();
  const sizes = (scan.Items ?? []).map((item) => itemBytes({ M: item } as AttributeValue) - 3);
  return sizes.reduce((a, b) => a + b, 0) / Math.max(sizes.length, 1);
}

/** An attribute value's billed size, by the rules in the DynamoDB developer guide. */
function itemBytes(value: AttributeValue): number {
  const utf8 = (text: string) => Buffer.byteLength(text);
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\./g, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M)
    return Object.entries(value.M).reduce(
      (sum, [name, v]) => sum + utf8(name) + itemBytes(v) + 1,
      3,
    );
  if (value.L) return value.L.reduce((sum, v) => sum + itemBytes(v) + 1, 3);
  return JSON.stringify(value).length;
}

function writes() {
  const {
    PutItemCommand = 0,
    UpdateItemCommand = 0,
    DeleteItemCommand = 0,
  } = runtime.stats.dynamodbRequests;
  return PutItemCommand + UpdateItemCommand + DeleteItemCommand;
}
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

console.log(`local runtime: ${FLOWS} flows, ${CONCURRENCY} in flight, node ${process.version}`);
console.log(`flows/s ${(FLOWS / seconds).toFixed(1)}`);
console.log('call        p50 ms   p99 ms');
for (const [name, values] of Object.entries(timings)) {
  console.log(
    `${name.padEnd(10)} ${percentile(values, 50).toFixed(1).padStart(7)} ${percentile(values, 99).toFixed(1).padStart(8)}`,
  );
}
// Per flow on AWS: 3 API calls, 3 API functions + 3 workflow tasks, 3 Express executions,
// the measured DynamoDB requests, two KMS signatures (the token and its receipt); ~60 ms per function at 256 MB and
// ~200 ms per execution at the 64 MB minimum are assumptions, stated here.
const perFlow = {
  'API Gateway': 3 * PRICE.apiGatewayRequest,
  Lambda: 6 * (PRICE.lambdaRequest + 0.06 * 0.25 * PRICE.lambdaArmGbSecond),
  'Step Functions Express':
    executionsPerFlow * (PRICE.expressRequest + 0.2 * 0.0625 * PRICE.expressGbSecond),
  DynamoDB:
    writesPerFlow * writeUnits * PRICE.dynamoWrite +
    (ddbPerFlow - writesPerFlow) * readUnits * PRICE.dynamoRead,
  'KMS sign (token, receipt)': 2 * PRICE.kmsSign,
  'EventBridge events': eventsPerFlow * PRICE.eventBridgeEvent,
  'Audit log ingestion': eventsPerFlow * eventBytes * PRICE.logsIngestedByte,
};
console.log(
  `per flow: ${ddbPerFlow.toFixed(2)} DynamoDB requests (${writesPerFlow.toFixed(2)} writes), ${executionsPerFlow.toFixed(2)} workflow executions, ${eventsPerFlow.toFixed(2)} audit events`,
);
console.log(
  `user item ≈ ${Math.round(userItemBytes)} bytes: ${writeUnits} write unit(s) per write, ${readUnits} read unit(s) per read`,
);
// In `envelope` signing mode the key is opened once per cold start (one KMS Decrypt) and
// signs in the function: no KMS request per token or receipt.
const ENVELOPE_FREE = new Set(['KMS sign (token, receipt)']);
// Express logging at level ALL (a debugging aid; default ERROR logs failures only): about 7
// log events per task state and 2 per execution, ~0.5 KB each without execution data.
const tasksPerFlow = executionsPerFlow;
const allLogsPerFlow = (tasksPerFlow * 7 + executionsPerFlow * 2) * 512 * PRICE.logsIngestedByte;
console.log('AWS cost per 1M flows (USD, list prices, excluding SMS/email):');
console.log(`  ${''.padEnd(26)} ${'kms'.padStart(8)} ${'envelope'.padStart(9)}`);
for (const [item, cost] of Object.entries(perFlow))
  console.log(
    `  ${item.padEnd(26)} ${(cost * 1e6).toFixed(2).padStart(8)} ${(ENVELOPE_FREE.has(item) ? 0 : cost * 1e6).toFixed(2).padStart(9)}`,
  );
const total = Object.values(perFlow).reduce((a, b) => a + b, 0);
const envelopeTotal = Object.entries(perFlow)
  .filter(([item]) => !ENVELOPE_FREE.has(item))
  .reduce((a, [, b]) => a + b, 0);
console.log(
  `  ${'total'.padEnd(26)} ${(total * 1e6).toFixed(2).padStart(8)} ${(envelopeTotal * 1e6).toFixed(2).padStart(9)}`,
);
console.log(
  `  Express logs: level ERROR (default) ~0.00; level ALL adds ~${(allLogsPerFlow * 1e6).toFixed(2)} (workflowLogLevel)`,
);

// Requests per flow by factor type, with the app's SMS budget (default) and without it.
const requestsPerFlow = (env: Record<string, string>) => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'bench-requests.ts')],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<
    string,
    { dynamodb: number; executions: number }
  >;
};
const withBudget = requestsPerFlow({});
const withoutBudget = requestsPerFlow({ SMS_PER_APP_PER_HOUR: '0' });
// A policy is read with the app's client record: it must not add a request.
const withPolicy = requestsPerFlow({
  DEFAULT_POLICY:
    '{"version":1,"rules":[{"id":"sanctioned","if":{"country":{"in":["KP"]}},"then":"deny"}],"default":{"require":"mfa"}}',
});
console.log('DynamoDB requests per flow (start → challenge → verify), measured:');
const hopModel = execFileSync(
  process.execPath,
  ['--import', 'tsx', path.join(import.meta.dirname, 'bench-hops.ts')],
  { env: { ...process.env, BENCH_WRITE_UNITS: String(writeUnits) }, encoding: 'utf8' },
);
console.log(
  '  factor   SMS budget on   SMS budget off (SMS_PER_APP_PER_HOUR=0)   with a policy (DEFAULT_POLICY)',
);
for (const kind of ['email', 'totp', 'sms', 'webauthn']) {
  console.log(
    `  ${kind.padEnd(8)} ${String(withBudget[kind]?.dynamodb).padStart(13)}   ${String(withoutBudget[kind]?.dynamodb).padStart(14)}   ${String(withPolicy[kind]?.dynamodb).padStart(36)}`,
  );
}
process.stdout.write(hopModel);

// The stand-ins alone for the same mix (bench-ceiling.ts), in a process of their own.
const ceiling = JSON.parse(
  execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'bench-ceiling.ts')],
    {
      env: { ...process.env, BENCH_FLOWS: String(FLOWS), BENCH_CONCURRENCY: String(CONCURRENCY) },
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n')
    .at(-1) ?? '{}',
) as { flowsPerSecond: number };
console.log(
  `local stand-ins alone (embedded DynamoDB through the SDK, the workflow runner with trivial tasks, the HTTP server, the messaging endpoint), the flow's own mix: ${ceiling.flowsPerSecond.toFixed(1)} flows/s`,
);
console.log(`local efficiency ${((100 * FLOWS) / seconds / ceiling.flowsPerSecond).toFixed(0)}%`);
