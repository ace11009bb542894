/**
 * The hop model of `npm run bench`: one email flow (start → challenge → verify) on the local
 * runtime with every AWS request recorded as it is served (`recordHops`: DynamoDB through
 * the SDK, Step Functions and its Lambda tasks, EventBridge, SES, the KMS `Sign` the key
 * file stands in for). For each call: the requests by service, which run one after the
 * other (requests that overlap in time form one stage), and an estimated p50 on AWS from
 * the per-hop figures of `hop-figures.ts`. Then the capacity model: each default quota ÷
 * what one flow uses of it. Prints text; asserts nothing.
 */
import type { Hop } from '../local/hops.js';
import { startBenchRuntime } from './bench-runtime.js';
import { CONTAINERS, LAMBDA_CONCURRENCY, LATENCY, QUOTAS } from './hop-figures.js';

const WRITE_UNITS = Number(process.env.BENCH_WRITE_UNITS ?? 1);

const { runtime, post, lastCode } = await startBenchRuntime({ recordHops: true });
const userId = 'bench-hops';
const email = `${userId}@example.com`;
const factorId = (await post(`/v1/users/${userId}/factors`, { type: 'email', email })).factor.id;
await post(`/v1/users/${userId}/factors/${factorId}/activate`, { passCode: lastCode(email) });

const calls: Record<string, Hop[]> = {};
const record = async (name: string, call: () => Promise<Record<string, unknown>>) => {
  runtime.stats.hops.take();
  const answer = await call();
  calls[name] = runtime.stats.hops.take();
  return answer;
};
const { stateToken } = (await record('start', () =>
  post('/v1/authn', {
    userId,
    transaction: { amount: '10.00', currency: 'EUR', payee: 'Bench Ltd' },
  }),
)) as { stateToken: string };
await record('challenge', () => post(`/v1/authn/factors/${factorId}/challenge`, { stateToken }));
await record('verify', () =>
  post(`/v1/authn/factors/${factorId}/verify`, { stateToken, passCode: lastCode(email) }),
);
await runtime.close();

const ms = (service: string) => LATENCY[service]?.ms ?? 0;
const name = (hop: Hop) => `${hop.service} ${hop.operation.replace(/Command$/, '')}`;

/** Requests that overlap in time run concurrently: one stage; stages follow each other. */
const stagesOf = (hops: readonly Hop[]) => {
  const leaves = hops.filter((hop) => !CONTAINERS.has(hop.service));
  const stages: Hop[][] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const hop of [...leaves].sort((a, b) => a.start - b.start)) {
    if (hop.start < end) stages.at(-1)?.push(hop);
    else stages.push([hop]);
    end = Math.max(end, hop.end);
  }
  return stages;
};

console.log('hop model: AWS requests per call (counted on the local runtime), in series:');
const estimates: Record<string, number> = {};
let lambdaSeconds = 0;
const perFlow: Record<string, number> = {};
const count = (service: string, operation: string) => {
  perFlow[`${service} ${operation}`] = (perFlow[`${service} ${operation}`] ?? 0) + 1;
};
for (const [call, hops] of Object.entries(calls)) {
  count('APIGateway', 'request');
  count('Lambda', 'api');
  for (const hop of hops) count(hop.service, hop.operation);
  const stages = stagesOf(hops);
  const containers = hops.filter((hop) => CONTAINERS.has(hop.service));
  const leavesMs = stages.reduce(
    (sum, stage) => sum + Math.max(...stage.map((h) => ms(h.service))),
    0,
  );
  const estimate =
    ms('APIGateway') + containers.reduce((sum, hop) => sum + ms(hop.service), 0) + leavesMs;
  estimates[call] = estimate;
  // The API function runs the whole call but API Gateway's share; each task its own stages.
  const tasks = containers.filter((hop) => hop.service === 'Lambda');
  const taskMs = tasks.reduce(
    (sum, task) =>
      sum +
      stagesOf(hops.filter((hop) => hop.start >= task.start && hop.end <= task.end)).reduce(
        (s, stage) => s + Math.max(...stage.map((h) => ms(h.service))),
        ms('Lambda'),
      ),
    0,
  );
  lambdaSeconds += (estimate - ms('APIGateway') + taskMs) / 1000;
  const byService = new Map<string, number>([['APIGateway', 1]]);
  for (const hop of hops) byService.set(hop.service, (byService.get(hop.service) ?? 0) + 1);
  console.log(`  ${call.padEnd(10)} ${[...byService].map(([s, n]) => `${s} ${n}`).join(', ')}`);
  console.log(
    `  ${''.padEnd(10)} API Gateway → ${containers.map(name).join(' → ')} | ${stages
      .map((stage) => stage.map(name).join(' ‖ '))
      .join(' → ')}  ≈ ${estimate} ms`,
  );
}
console.log(
  '  per-hop p50 figures (scripts/hop-figures.ts; c = checked in AWS text, i = indirect, u = assumed):',
);
console.log(
  `  ${Object.entries(LATENCY)
    .map(([service, f]) => `${service} ${f.ms}${f.confidence[0]}`)
    .join(', ')}`,
);

console.log('capacity: default account quotas (us-east-1) ÷ use per flow:');
let binding = { service: '', flows: Number.POSITIVE_INFINITY };
/** Messaging quotas are per account or sending number and granted on request: shown apart. */
const MESSAGING = new Set(['SES', 'SNS (SMS)']);
let service = { service: '', flows: Number.POSITIVE_INFINITY };
for (const quota of QUOTAS) {
  const used = Object.entries(perFlow)
    .filter(([key]) => {
      const [service, operation] = key.split(' ');
      return (
        service === quota.counts.service &&
        (!quota.counts.operations || quota.counts.operations.includes(operation ?? ''))
      );
    })
    .reduce((sum, [, n]) => sum + n, 0);
  const units = quota.unitsPerRequest === 'dynamoWriteUnits' ? WRITE_UNITS : 1;
  const flows =
    quota.service === 'Lambda'
      ? LAMBDA_CONCURRENCY / lambdaSeconds
      : used === 0
        ? Number.POSITIVE_INFINITY
        : quota.perSecond / (used * units);
  const usedText = quota.service === 'Lambda' ? `${lambdaSeconds.toFixed(3)} s` : `${used * units}`;
  if (flows < binding.flows) binding = { service: quota.service, flows };
  if (!MESSAGING.has(quota.service) && flows < service.flows)
    service = { service: quota.service, flows };
  console.log(
    `  ${quota.service.padEnd(15)} ${usedText.padStart(8)} per flow  ${Number.isFinite(flows) ? Math.floor(flows).toLocaleString('en').padStart(8) : '       —'} flows/s  ${quota.quota} [${quota.confidence}]`,
  );
}
console.log(
  `  binding: ${binding.service} at ${Math.floor(binding.flows).toLocaleString('en')} flows/s (SES/SNS: per account or number, raised on request; see README "Scaling"); of the service itself: ${service.service} at ${Math.floor(service.flows).toLocaleString('en')} flows/s`,
);
console.log(
  `estimated p50 ms: start ${estimates.start}, challenge ${estimates.challenge}, verify ${estimates.verify}`,
);
