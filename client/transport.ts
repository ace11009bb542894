import { MfaApiError } from './errors.js';
import { isJsonObject, parseJson, problemError, requestIdOf } from './problem.js';

/** The part of `fetch` the client uses (the global one, or one injected). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface CallOptions {
  /** Aborts the call: it then rejects with `MfaApiError` code `aborted`. */
  readonly signal?: AbortSignal;
}

/** One call: the route as API.md writes it, its path parameters unencoded. */
export interface Call extends CallOptions {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly route: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Sent as JSON; none for GET and DELETE. */
  readonly body?: unknown;
  /** `/v1` routes: HTTP Basic app credentials. */
  readonly auth: boolean;
  /** Sent as `X-MFA-Token` (the user's MFA token), when given. */
  readonly mfaToken?: string;
  /** Whether the answer has a body (a DELETE's 204 has none). @default true */
  readonly answered?: boolean;
}

export interface TransportOptions {
  /** Without trailing slash. */
  readonly base: string;
  readonly authorization: string;
  readonly fetch: FetchLike;
  /** 0: no timeout. */
  readonly timeoutMs: number;
}

const invalidArgument = (detail: string) =>
  new MfaApiError({ status: 0, code: 'invalid_argument', detail });

/**
 * A path segment: %-encoded, so `/`, `?`, `#` and `%` stay inside it. `.` and `..` cannot be
 * sent at all (URL parsing resolves them, in any encoding), nor can an empty segment.
 */
const segment = (name: string, value: unknown): string => {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
    throw invalidArgument(`${name} must be a non-empty string other than "." and ".."`);
  }
  return encodeURIComponent(value);
};

const pathOf = (call: Call): string =>
  call.route.replace(/\{(\w+)\}/g, (_, name: string) => segment(name, call.params?.[name]));

/**
 * Sends one call and reads its answer: the JSON object of a 2xx (undefined when the route
 * answers without a body), else an `MfaApiError`. Never rejects with anything else.
 */
export const createTransport = (options: TransportOptions) => {
  const { base, authorization, fetch, timeoutMs } = options;
  return async <T>(call: Call): Promise<T> => {
    // A route, not its path: error texts never carry a user id.
    const label = `${call.method} ${call.route}`;
    const url = `${base}${pathOf(call)}`;
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
    };
    if (call.auth) headers.authorization = authorization;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.mfaToken) {
      // A header value with a line break or non-ASCII would make fetch throw: say why instead.
      if (!/^[!-~]+$/.test(call.mfaToken)) throw invalidArgument('mfaToken must be a JWS');
      headers['x-mfa-token'] = call.mfaToken;
    }
    if (call.signal?.aborted) throw aborted(label, call.signal.reason);

    const controller = new AbortController();
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeoutMs)
        : undefined;
    const onAbort = () => controller.abort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    let response: Response;
    let text: string | undefined;
    try {
      response = await fetch(url, {
        method: call.method,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal: controller.signal,
        // An API answer is never a redirect: following one could send the credentials elsewhere.
        redirect: 'error',
      });
      text = await boundedText(response, MAX_ANSWER_BYTES);
    } catch (error) {
      if (call.signal?.aborted) throw aborted(label, call.signal.reason);
      if (timedOut) {
        throw new MfaApiError({
          status: 0,
          code: 'timeout',
          detail: `No answer to ${label} within ${timeoutMs / 1000} s`,
          cause: error,
        });
      }
      const reason = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      throw new MfaApiError({
        status: 0,
        code: 'network_error',
        detail: `Cannot reach the service for ${label}${typeof reason === 'string' ? ` (${reason})` : ''}`,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }

    if (text === undefined) {
      throw new MfaApiError({
        status: response.status,
        code: 'invalid_response',
        detail: `HTTP ${response.status} to ${label} with a body over ${MAX_ANSWER_BYTES} bytes`,
        requestId: requestIdOf(response.headers),
      });
    }
    if (response.status < 200 || response.status > 299) {
      throw problemError(response, text, Date.now());
    }
    if (call.answered === false) return undefined as T;
    const body = parseJson(text);
    if (!isJsonObject(body)) {
      throw new MfaApiError({
        status: response.status,
        code: 'invalid_response',
        detail: `HTTP ${response.status} to ${label} without a JSON object body`,
        requestId: requestIdOf(response.headers),
      });
    }
    return body as T;
  };
};

/** The service's largest answer is a few KiB: a larger one is not the service's. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The body as text, read up to `max` bytes; undefined past them (the rest is not read, so a
 * hostile or broken server cannot make the app buffer an endless answer).
 */
const boundedText = async (response: Response, max: number): Promise<string | undefined> => {
  if (typeof response.body?.getReader !== 'function') {
    // An injected fetch whose body is no web stream (node-fetch): its declared length, or
    // the whole text measured afterwards.
    if (Number(response.headers.get('content-length')) > max) return undefined;
    const text = await response.text();
    return new TextEncoder().encode(text).byteLength > max ? undefined : text;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
};

const aborted = (label: string, reason: unknown) =>
  new MfaApiError({ status: 0, code: 'aborted', detail: `${label} was aborted`, cause: reason });

/** `Basic base64(UTF-8(clientId:clientSecret))` (RFC 7617, charset UTF-8), with no Node API. */
export const basicAuthorization = (clientId: string, clientSecret: string): string => {
  let binary = '';
  for (const byte of new TextEncoder().encode(`${clientId}:${clientSecret}`)) {
    binary += String.fromCharCode(byte);
  }
  return `Basic ${btoa(binary)}`;
};
