import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { problem } from '../shared/http/problem.js';
import { router } from '../shared/routes.js';
import type { LocalAuthorizer } from './authorizer.js';
import { DEMO_PAGE_PATHS, type DemoPage } from './demo-page-assets.js';
import type { EventLog } from './event-log.js';
import type { Outbox } from './outbox.js';
import { fromProxyResult, type LocalResponse, toProxyEvent } from './proxy-event.js';
import type { HandlerLoader } from './workflow.js';

/** API Gateway refuses far larger bodies; the handlers enforce the contract's 16 KiB. */
const MAX_READ_BYTES = 1024 * 1024;

class TooLarge extends Error {}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_READ_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new TooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const fromResult = (result: APIGatewayProxyResult) => fromProxyResult(result);

/**
 * The request target's path and query, the path as sent: `new URL` alone would read `//health`
 * as a host and fold `..`, `.` and `\` segments into another path, which API Gateway does not
 * route either. Such paths match no route here: 404.
 */
const requestUrl = (sent = '/'): { pathname: string; searchParams: URLSearchParams } => {
  // The absolute form (from a proxy): the same, after the authority.
  const target = /^https?:\/\/[^/?#]*(.*)$/is.exec(sent)?.[1] ?? sent;
  const queryAt = target.indexOf('?');
  const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  const { searchParams } = new URL(queryAt === -1 ? '' : target.slice(queryAt), 'http://localhost');
  return { pathname, searchParams };
};

/** An asset of the demo page; a build that fails is the developer's to see, in the terminal. */
const demoPageAnswer = async (
  page: DemoPage,
  method: string,
  pathname: string,
  requestId: string,
): Promise<LocalResponse> => {
  if (method !== 'GET') {
    const response = fromResult(problem('method_not_allowed', requestId));
    return { ...response, headers: { ...response.headers, allow: 'GET' } };
  }
  try {
    return (await page.serve(pathname)) ?? fromResult(problem('not_found', requestId));
  } catch (error) {
    process.stderr.write(`demo page: ${error instanceof Error ? error.message : 'failed'}\n`);
    return fromResult(problem('internal_error', requestId));
  }
};

/**
 * The local API Gateway: routes come from the one route table and each request runs the
 * same handler module the route's Lambda runs, with the same proxy event shape.
 */
export const createLocalHttpServer = (deps: {
  loadHandler: HandlerLoader;
  outbox: Outbox;
  events: EventLog;
  /** Resolves with the MFA authorizer once the runtime is configured. */
  ready: Promise<LocalAuthorizer>;
  /** The demo page at `/` (not a route of the API: it exists only here). */
  demoPage?: DemoPage;
  /** Whether a request's `Host` names this server (`hostGuard`: DNS rebinding). */
  hostAllowed: (host: string | undefined) => boolean;
}): Server =>
  createServer(async (req, res) => {
    const authorize = await deps.ready;
    const requestId = randomUUID();
    const send = ({ status, headers, body }: LocalResponse) => {
      res.writeHead(status, { 'x-request-id': requestId, ...headers }).end(body);
    };
    if (!deps.hostAllowed(req.headers.host)) {
      const detail =
        'This local runtime answers only to localhost, 127.0.0.1, [::1] and its bind address (HOST), a guard against DNS rebinding; HOST=0.0.0.0 serves any name, on every interface';
      send(fromResult(problem('access_denied', requestId, detail)));
      return;
    }
    try {
      const url = requestUrl(req.url);
      const method = req.method ?? 'GET';
      const local = (body: unknown) =>
        send(
          fromResult({
            statusCode: 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
            body: JSON.stringify(body),
          }),
        );
      if (url.pathname === '/_local/outbox' && method === 'GET') {
        local({ messages: deps.outbox.list(url.searchParams.get('to') ?? undefined) });
        return;
      }
      if (url.pathname === '/_local/events' && method === 'GET') {
        const { transactionId, type, clientId, userRef } = Object.fromEntries(url.searchParams);
        local({ events: deps.events.list({ transactionId, type, clientId, userRef }) });
        return;
      }
      if (deps.demoPage && Object.values<string>(DEMO_PAGE_PATHS).includes(url.pathname)) {
        send(await demoPageAnswer(deps.demoPage, method, url.pathname, requestId));
        return;
      }
      const found = router.match(method, url.pathname);
      if (!found.match) {
        if (!found.pathKnown) {
          send(fromResult(problem('not_found', requestId, 'No such route')));
          return;
        }
        const response = problem('method_not_allowed', requestId);
        response.headers = {
          ...response.headers,
          allow: router.allowedMethods(url.pathname).join(', '),
        };
        send(fromResult(response));
        return;
      }
      const body = await readBody(req);
      const event = toProxyEvent(
        {
          method,
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        },
        found.match.route,
        found.match.pathParameters,
        requestId,
        new Date(),
      );
      if (found.match.route.auth === 'mfa') {
        const decision = await authorize(event);
        if (!decision.allowed) {
          send(fromResult(decision.response));
          return;
        }
        event.requestContext.authorizer = decision.context;
      }
      const handler = await deps.loadHandler(found.match.route.handler);
      const context = {
        awsRequestId: requestId,
        functionName: found.match.route.handler,
      } as Context;
      send(fromResult((await handler(event, context)) as APIGatewayProxyResult));
    } catch (error) {
      if (error instanceof TooLarge) {
        send(fromResult(problem('payload_too_large', requestId)));
        return;
      }
      // The handlers answer every error themselves; reaching here is a local runtime bug.
      process.stderr.write(
        `local runtime error: ${error instanceof Error ? error.name : 'unknown'}\n`,
      );
      send(fromResult(problem('internal_error', requestId)));
    }
  });
