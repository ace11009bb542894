import {
  basicAuthorization,
  type CallOptions,
  type FetchLike,
  type TransportOptions,
} from './transport.js';

export interface MfaClientOptions {
  /** The API's base URL: the stack's `ApiUrl` output, or `http://localhost:3000` (`npm start`). */
  readonly baseUrl: string;
  /** The app's client id. */
  readonly clientId: string;
  /** The app's client secret: server side only, never shipped to a browser. */
  readonly clientSecret: string;
  /** @default globalThis.fetch, looked up at each call */
  readonly fetch?: FetchLike;
  /** Per call, the answer's body included; 0 for none. @default 10_000 */
  readonly timeoutMs?: number;
  /**
   * Allows an `http:` base URL on another host than this machine (`localhost`, 127.0.0.0/8,
   * `[::1]`), e.g. LocalStack in another container. Every call carries the client secret:
   * never over plain HTTP on a network you do not own. @default false
   */
  readonly allowInsecureHttp?: boolean;
}

/** The user's MFA token, sent as `X-MFA-Token` when factor changes are stepped up. */
export interface StepUpOptions extends CallOptions {
  readonly mfaToken?: string;
}

/** The user's MFA token with `acr: "sca"` from the last 300 s (`X-MFA-Token`). */
export interface ScaOptions extends CallOptions {
  readonly mfaToken: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Whether a URL's `hostname` (as `URL` normalizes it) names this machine. */
export const isLoopbackHostname = (hostname: string): boolean => LOOPBACK.test(hostname);

/**
 * The base URL without trailing slash. Refused: a URL the calls cannot build on, credentials
 * in it (an error would show them), and plain HTTP to another machine unless allowed (every
 * call carries the client secret).
 */
const baseOf = (baseUrl: string, allowInsecureHttp: boolean): string => {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('MfaClient: baseUrl is not a URL');
  }
  if (
    !['http:', 'https:'].includes(url.protocol) ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new TypeError('MfaClient: baseUrl must be http(s), without query, fragment or user');
  }
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname) && !allowInsecureHttp) {
    throw new TypeError(
      'MfaClient: baseUrl must be https (plain http only to this machine, or with allowInsecureHttp)',
    );
  }
  return url.href.replace(/\/+$/, '');
};

/** Checks the options (a `TypeError` names the bad one) and builds what the calls need. */
export const transportOptions = (options: MfaClientOptions): TransportOptions => {
  const { clientId, clientSecret, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if (typeof clientId !== 'string' || clientId === '' || clientId.includes(':')) {
    throw new TypeError('MfaClient: clientId must be a non-empty string without ":"');
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new TypeError('MfaClient: clientSecret must be a non-empty string');
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new TypeError('MfaClient: timeoutMs must be a finite number ≥ 0');
  }
  const injected = options.fetch;
  if (!injected && typeof globalThis.fetch !== 'function') {
    throw new TypeError('MfaClient: no global fetch here; pass options.fetch');
  }
  return {
    base: baseOf(options.baseUrl, options.allowInsecureHttp === true),
    authorization: basicAuthorization(clientId, clientSecret),
    // Called as a plain function: a browser's fetch refuses another `this`.
    fetch: injected ?? ((url, init) => globalThis.fetch(url, init)),
    timeoutMs,
  };
};
