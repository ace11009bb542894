import { request } from 'node:http';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamo } from '../../local/dynamo.js';
import { hostGuard } from '../../local/loopback.js';
import { basicAuth, startTestRuntime } from '../support/local.js';

/** A GET with the `Host` a rebound page's browser would send (fetch cannot set `Host`). */
const getWithHost = (url: string, host: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        headers: { ...headers, host },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });

describe('hostGuard: which Host a local server answers to', () => {
  it('bound to loopback: loopback names (any port, any case) and no Host only', () => {
    const allowed = hostGuard('127.0.0.1');
    for (const host of [
      'localhost:3000',
      'localhost:80',
      '127.0.0.1:3000',
      '[::1]:3000',
      'LocalHost',
      undefined,
    ])
      expect(allowed(host), String(host)).toBe(true);
    for (const host of [
      'evil.example:3000',
      'localhost.evil.example',
      'evil.example@localhost:3000',
      'localhost:3000/x',
      'localhost:3000 evil',
      'localhost.:3000',
      'localhost:3000:1',
      '127.0.0.2:3000',
      '',
    ])
      expect(allowed(host), host).toBe(false);
  });

  it('bound to one address: that address too; bound to every interface: any name', () => {
    const lan = hostGuard('192.168.1.5');
    expect(lan('192.168.1.5:3000')).toBe(true);
    expect(lan('localhost:3000')).toBe(true);
    expect(lan('evil.example:3000')).toBe(false);
    expect(hostGuard('::1')('[::1]:3000')).toBe(true);
    expect(hostGuard('0.0.0.0')('evil.example:3000')).toBe(true);
    expect(hostGuard('::')('evil.example')).toBe(true);
  });
});

describe('local runtime: DNS rebinding guard', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('a request naming another host gets 403 access_denied, the outbox unread', async () => {
    const port = new URL(runtime.url).port;
    for (const path of ['/_local/outbox', '/_local/events', '/health', '/']) {
      const refused = await getWithHost(`${runtime.url}${path}`, `evil.example:${port}`);
      expect(refused.status, path).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({ status: 403, code: 'access_denied' });
      expect(refused.body).not.toContain('messages');
    }
  });

  it('localhost and 127.0.0.1 are served', async () => {
    const port = new URL(runtime.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const served = await getWithHost(`${runtime.url}/_local/outbox`, host);
      expect(served.status, String(host)).toBe(200);
      expect(JSON.parse(served.body)).toHaveProperty('messages');
    }
    const api = await getWithHost(`${runtime.url}/v1/users/u-1/factors`, `localhost:${port}`, {
      authorization: basicAuth(),
    });
    expect(api.status).toBe(200);
  });

  it('the embedded AWS endpoints refuse another host and still serve the SDK', async () => {
    const dynamo = await startDynamo();
    try {
      const refused = await getWithHost(dynamo.url, `evil.example:${new URL(dynamo.url).port}`);
      expect(refused.status).toBe(403);
      const ddb = new DynamoDBClient({
        endpoint: dynamo.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      });
      expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      await new Promise((done) => dynamo.server.close(done));
    }
  });
});
