import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The names a browser uses for this machine; a web page's own domain is never one of them. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Addresses that bind every interface: the operator chose to be reached by any name. */
const isWildcard = (bindHost: string) => bindHost === '0.0.0.0' || bindHost === '::';

/** `name[:port]` or `[v6][:port]`, nothing else (no user info, path or spaces). */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/** The name of a `Host` value, lower case; undefined when it is not only a host and port. */
const hostNameOf = (host: string): string | undefined => HOST_HEADER.exec(host)?.[1]?.toLowerCase();

/**
 * Whether a request's `Host` names a server bound to `bindHost`: the DNS rebinding guard.
 * A page on `evil.example` whose name is made to resolve to 127.0.0.1 reaches a loopback
 * server as same-origin, but its requests still say `Host: evil.example`, so they are
 * refused: otherwise any web page could read the local outbox's one-time codes. Loopback
 * names and `bindHost` itself are served, and a request without `Host` (no browser sends
 * one); a wildcard bind (`0.0.0.0`, `::`) turns the guard off.
 */
export const hostGuard = (bindHost: string): ((host: string | undefined) => boolean) => {
  if (isWildcard(bindHost)) return () => true;
  const own = hostNameOf(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
  const names = new Set(own ? [...LOOPBACK_NAMES, own] : LOOPBACK_NAMES);
  return (host) => host === undefined || names.has(hostNameOf(host) ?? '');
};

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Listens on a free loopback port, answering only requests whose `Host` is a loopback name
 * (`hostGuard`; others get 403 `Host not served`): the local stand-ins of AWS endpoints,
 * which the SDK reaches by `http://127.0.0.1:PORT`. Guards the request listeners the server
 * has when called (attach the handler first, as `createServer(handler)` does).
 */
export const listenOnLoopback = async (
  server: Server,
): Promise<{ url: string; server: Server }> => {
  const allowed = hostGuard('127.0.0.1');
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!allowed(req.headers.host)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Host not served\n');
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
};
