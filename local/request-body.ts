import type { IncomingMessage } from 'node:http';

/**
 * The body of a request to a local AWS endpoint, as text; a body over `maxBytes` destroys
 * the connection (the SDK sees a network error, as from a service that refuses it) and the
 * callback never runs.
 */
export const onBody = (
  req: IncomingMessage,
  maxBytes: number,
  handle: (text: string) => void,
): void => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => handle(Buffer.concat(chunks).toString('utf8')));
};
