/**
 * The local stand-ins alone, for `npm run bench`'s `local efficiency` line: how many flows
 * per second the embedded DynamoDB (through the SDK), the Step Functions endpoint running
 * the synthesized ASL with trivial tasks, the HTTP server and the messaging endpoint could
 * serve for the flow's own mix of requests, with no service code in between. The mix is
 * recorded from one real email flow (`recordHops`): the very DynamoDB requests (replayed on a
 * copy of the user item per flow, so every condition is evaluated as it was), the PutEvents
 * and SendEmail calls, in the same stages (requests that overlapped run concurrently).
 * Prints one JSON line `{ "flowsPerSecond": N }`.
 */

import type { Server } from 'node:http';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import type { LocalAuthorizer } from '../local/authorizer.js';
import { ensureTable, startDynamo } from '../local/dynamo.js';
import { EventLog } from '../local/event-log.js';
import type { Hop } from '../local/hops.js';
import { createLocalHttpServer } from '../local/http-server.js';
import { hostGuard } from '../local/loopback.js';
import { Outbox, startMessagingEndpoint } from '../local/outbox.js';
import { startStepFunctionsEndpoint } from '../local/sfn-endpoint.js';
import { eventBusName, tableResource } from '../local/template.js';
import { createLocalWorkflow, type HandlerLoader } from '../local/workflow.js';
import { userRef } from '../shared/domain/state-token.js';
import { startBenchRuntime } from './bench-runtime.js';

const FLOWS = Number(process.env.BENCH_FLOWS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

// 1. Record one real flow's requests, and the user item as it was before it.
const { runtime, post, lastCode } = await startBenchRuntime({ recordHops: true });
const table = tableResource(runtime.template);
const userId = 'bench-ceiling';
const email = `${userId}@example.com`;
const factorId = (await post(`/v1/users/${userId}/factors`, { type: 'email', email })).factor.id;
await post(`/v1/users/${userId}/factors/${factorId}/activate`, { passCode: lastCode(email) });
const userKey = { pk: { S: `USER#demo#${userRef(userId)}` }, sk: { S: 'USER' } };
const reader = new DynamoDBClient({});
const userItem = (await reader.send(new GetItemCommand({ TableName: table.name, Key: userKey })))
  .Item;
reader.destroy();
const calls: Hop[][] = [];
runtime.stats.hops.take();
const { stateToken } = await post('/v1/authn', { userId });
calls.push(runtime.stats.hops.take());
await post(`/v1/authn/factors/${factorId}/challenge`, { stateToken });
calls.push(runtime.stats.hops.take());
await post(`/v1/authn/factors/${factorId}/verify`, { stateToken, passCode: lastCode(email) });
calls.push(runtime.stats.hops.take());
const eventDetail = JSON.stringify(runtime.events.list().at(-1)?.detail ?? {});
await runtime.close();

/** The requests of a call the stand-ins serve, in stages (overlapping ones together). */
const REPLAYED = new Set(['DynamoDB', 'EventBridge', 'SES']);
const stagesOf = (hops: readonly Hop[]) => {
  const stages: Hop[][] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const hop of hops.filter((h) => REPLAYED.has(h.service)).sort((a, b) => a.start - b.start)) {
    if (hop.start < end) stages.at(-1)?.push(hop);
    else stages.push([hop]);
    end = Math.max(end, hop.end);
  }
  return stages;
};
const plan = calls.map(stagesOf);

// 2. The stand-ins alone: fresh, with trivial handlers and tasks.
const stops: (() => Promise<void>)[] = [];
const closing = (server: Server) => () =>
  new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
const dynamo = await startDynamo();
stops.push(closing(dynamo.server));
const messaging = await startMessagingEndpoint(new Outbox(), {
  log: new EventLog(),
  name: eventBusName(runtime.template),
});
stops.push(closing(messaging.server));
const trivial: HandlerLoader = async () =>
  (async () => ({ outcome: { ok: true, body: {} } })) as unknown as Awaited<
    ReturnType<HandlerLoader>
  >;
const workflow = await createLocalWorkflow(runtime.template, trivial);
const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:MfaFlow';
const sfnEndpoint = await startStepFunctionsEndpoint({
  stateMachineArn: arn,
  execute: (input) => workflow.execute(input),
});
stops.push(closing(sfnEndpoint.server));
const apiHandlers: HandlerLoader = async () =>
  (async () => ({ statusCode: 200, body: '{}' })) as unknown as Awaited<ReturnType<HandlerLoader>>;
const http = createLocalHttpServer({
  loadHandler: apiHandlers,
  outbox: new Outbox(),
  events: new EventLog(),
  // `/v1/authn` authenticates the app in its handler: the MFA authorizer is never asked.
  ready: Promise.resolve(undefined as unknown as LocalAuthorizer),
  hostAllowed: hostGuard('127.0.0.1'),
});
await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
stops.push(closing(http));
const api = `http://127.0.0.1:${(http.address() as { port: number }).port}`;

const client = { region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } };
const ddb = new DynamoDBClient({ ...client, endpoint: dynamo.url });
const sfn = new SFNClient({ ...client, endpoint: sfnEndpoint.url, disableHostPrefix: true });
const bus = new EventBridgeClient({ ...client, endpoint: messaging.url });
const ses = new SESClient({ ...client, endpoint: messaging.url });
await ensureTable(ddb, table.name, table.properties);

/** A recorded DynamoDB request for flow `n`: its keys moved to that flow's own items. */
const own = (input: unknown, n: number) => {
  const copy = structuredClone(input) as { Key?: { pk?: { S?: string } } };
  if (copy.Key?.pk?.S) copy.Key.pk.S = `${copy.Key.pk.S}-${n}`;
  return copy;
};
const COMMANDS = { GetItemCommand, UpdateItemCommand, PutItemCommand } as const;
const replay = async (hop: Hop, n: number) => {
  if (hop.service === 'EventBridge') {
    const entry = { EventBusName: eventBusName(runtime.template), Source: 'mfa.service' };
    await bus.send(
      new PutEventsCommand({
        Entries: [{ ...entry, DetailType: 'mfa.authn.started', Detail: eventDetail }],
      }),
    );
    return;
  }
  if (hop.service === 'SES') {
    await ses.send(
      new SendEmailCommand({
        Source: 'mfa@example.com',
        Destination: { ToAddresses: [`user-${n}@example.com`] },
        Message: {
          Subject: { Data: 'Your code' },
          Body: { Text: { Data: '123456 is your code to approve a payment.' } },
        },
      }),
    );
    return;
  }
  const Command = COMMANDS[hop.operation as keyof typeof COMMANDS] as
    | (new (
        input: unknown,
      ) => GetItemCommand)
    | undefined;
  if (!Command) throw new Error(`No replay for DynamoDB ${hop.operation}`);
  try {
    await ddb.send(new Command(own(hop.input, n)));
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
};

for (let n = 0; n < FLOWS; n += 1) {
  if (!userItem) throw new Error('The recorded user item is missing');
  await ddb.send(
    new PutItemCommand({
      TableName: table.name,
      Item: { ...userItem, pk: { S: `${userKey.pk.S}-${n}` } },
    }),
  );
}

// 3. The mix, as the flows run it: per call an API request, an execution, then the stages.
const operations = ['start', 'challenge', 'verify'];
const began = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < FLOWS) {
      const n = next++;
      for (const [i, stages] of plan.entries()) {
        await (await fetch(`${api}/v1/authn`, { method: 'POST', body: '{}' })).text();
        await sfn.send(
          new StartSyncExecutionCommand({
            stateMachineArn: arn,
            input: JSON.stringify({ operation: operations[i] }),
          }),
        );
        for (const stage of stages) await Promise.all(stage.map((hop) => replay(hop, n)));
      }
    }
  }),
);
const seconds = (performance.now() - began) / 1000;
for (const c of [ddb, sfn, bus, ses]) c.destroy();
for (const stop of stops.reverse()) await stop();
process.stdout.write(`${JSON.stringify({ flowsPerSecond: FLOWS / seconds })}\n`);
