import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSfnWorkflow } from '../../shared/adapters/aws/sfn-workflow.js';
import { sfnClientConfig } from '../../shared/compose/workflow.js';

/**
 * The functions' Step Functions client against an endpoint of its own (LocalStack): the
 * production adapter's StartSyncExecution must reach it. A stand-in speaking the JSON
 * protocol answers one successful execution.
 */
let server: Server;
let endpoint: string;
const seen: { target?: string; host?: string; input?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as { input: string };
      seen.push({
        target: req.headers['x-amz-target'] as string,
        host: req.headers.host,
        input: body.input,
      });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          status: 'SUCCEEDED',
          output: JSON.stringify({ ok: true, body: { status: 'CANCELLED' } }),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://localhost:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const clientWith = (config: ReturnType<typeof sfnClientConfig>) =>
  new SFNClient({
    ...config,
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
const input = {
  operation: 'cancel',
  requestId: 'req-1',
  clientId: 'demo',
  userRef: 'u',
  stateTokenHash: 'h',
} as const;

describe('Step Functions through a configured endpoint (LocalStack)', () => {
  it('drops the sync- host prefix whenever an endpoint is configured, and only then', () => {
    expect(sfnClientConfig({ AWS_ENDPOINT_URL: 'http://localhost:4566' })).toEqual({
      disableHostPrefix: true,
    });
    expect(sfnClientConfig({ AWS_ENDPOINT_URL_SFN: 'http://localhost:4566' })).toEqual({
      disableHostPrefix: true,
    });
    expect(sfnClientConfig({})).toEqual({});
  });

  it('reaches the endpoint with the production adapter', async () => {
    const config = sfnClientConfig({ AWS_ENDPOINT_URL: endpoint });
    const workflow = createSfnWorkflow(
      clientWith(config),
      'arn:aws:states:us-east-1:0:stateMachine:MfaFlow',
    );
    expect(await workflow.run(input)).toEqual({ body: { status: 'CANCELLED' } });
    expect(seen.at(-1)).toMatchObject({
      target: 'AWSStepFunctions.StartSyncExecution',
      host: new URL(endpoint).host,
    });
    expect(JSON.parse(seen.at(-1)?.input ?? '{}')).toEqual(input);
  });

  it('without it the call goes to sync-localhost (the bug it fixes)', async () => {
    const workflow = createSfnWorkflow(
      clientWith({}),
      'arn:aws:states:us-east-1:0:stateMachine:MfaFlow',
    );
    const count = seen.length;
    const reached = await workflow.run(input).then(
      () => true,
      (error: Error) => {
        expect(String(error)).toMatch(/sync-localhost|ENOTFOUND|getaddrinfo/);
        return false;
      },
    );
    // Where *.localhost resolves to this machine, the request names the prefixed host.
    if (reached) expect(seen.at(-1)?.host).toMatch(/^sync-localhost:/);
    else expect(seen).toHaveLength(count);
  });
});
