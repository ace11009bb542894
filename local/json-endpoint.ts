import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { onBody } from './request-body.js';

/** A refusal as the AWS JSON protocol answers it: `__type` and `message`, a 4xx status. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A body of at most this size: these endpoints take small JSON requests only. */
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * A local endpoint speaking an AWS JSON 1.1 protocol (`X-Amz-Target: <prefix>.<Operation>`)
 * for the operations given; any other is refused as AWS would (`UnknownOperationException`).
 * Handlers return the answer's members or throw `AwsError`.
 */
export const startJsonEndpoint = async (
  prefix: string,
  operations: Readonly<Record<string, (input: Record<string, unknown>) => unknown>>,
): Promise<{ url: string; server: Server }> => {
  const server = createServer((req, res) => {
    onBody(req, MAX_REQUEST_BYTES, (text) => {
      const answer = (status: number, body: unknown) =>
        res
          .writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify(body));
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(`${prefix}.`) ? target.slice(prefix.length + 1) : '';
      const handle = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (!handle) {
        answer(400, { __type: 'UnknownOperationException', message: `${target} is not served` });
        return;
      }
      try {
        const input = JSON.parse(text || '{}') as unknown;
        if (typeof input !== 'object' || input === null || Array.isArray(input))
          throw new AwsError('SerializationException', 'The body is not a JSON object');
        answer(200, handle(input as Record<string, unknown>));
      } catch (error) {
        if (error instanceof AwsError)
          answer(error.status, { __type: error.type, message: error.message });
        else if (error instanceof SyntaxError)
          answer(400, { __type: 'SerializationException', message: 'The body is not JSON' });
        else answer(500, { __type: 'InternalFailure', message: 'The local endpoint failed' });
      }
    });
  });
  return listenOnLoopback(server);
};
