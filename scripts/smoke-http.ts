/**
 * What the smoke run needs besides the flow itself: bounded HTTP calls with readable
 * failures, and readers of the one-time codes a deployment sends (the local runtime's outbox
 * or LocalStack's SES store).
 */

/** A JSON body read loosely: each step checks the members it uses, and says which failed. */
// biome-ignore lint/suspicious/noExplicitAny: bodies come from the network and are checked where read
export type Json = Record<string, any>;

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Json;
}

/** `fetch` with a per-request timeout inside the run's overall deadline; JSON bodies parsed. */
export const createHttp = (options: { timeoutMs: number; deadline: AbortSignal }) => {
  const { timeoutMs, deadline } = options;
  return async (url: string, init: RequestInit = {}): Promise<HttpResult> => {
    const signal = AbortSignal.any([deadline, AbortSignal.timeout(timeoutMs)]);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init, signal, redirect: 'error' });
      text = await response.text();
    } catch (error) {
      if (deadline.aborted) throw new Error('the whole run took too long');
      if (signal.aborted) throw new Error(`no answer from ${url} within ${timeoutMs / 1000} s`);
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new Error(`cannot reach ${url}${cause ? ` (${cause})` : ''}`);
    }
    let body: Json = {};
    try {
      body = text ? (JSON.parse(text) as Json) : {};
    } catch {
      body = { unparsed: text.slice(0, 200) };
    }
    return { status: response.status, headers: response.headers, body };
  };
};

export type Http = ReturnType<typeof createHttp>;

/** Throws a one-line reason (status and problem `code`, never secrets) unless `status` matches. */
export const expectStatus = (result: HttpResult, status: number): Json => {
  if (result.status === status) return result.body;
  const { code, detail, title } = result.body;
  const problem = code ? ` ${code}${detail || title ? ` (${detail ?? title})` : ''}` : '';
  throw new Error(`expected HTTP ${status}, got ${result.status}${problem}`);
};

export const check = (condition: unknown, message: string): void => {
  if (!condition) throw new Error(message);
};

/** The first run of 6-8 digits in a message: the code leads every message the service sends. */
export const codeIn = (text: string): string | undefined => /(?<!\d)\d{6,8}(?!\d)/.exec(text)?.[0];

/** Message bodies sent to an address, oldest first. */
export type MessageSource = (to: string) => Promise<string[]>;

/** The local runtime: `GET /_local/outbox?to=` (API.md), newest last. */
export const localOutbox =
  (http: Http, base: string): MessageSource =>
  async (to) => {
    const result = await http(`${base}/_local/outbox?to=${encodeURIComponent(to)}`);
    const body = expectStatus(result, 200) as { messages?: { to?: string; body?: string }[] };
    return (body.messages ?? [])
      .filter((message) => message.to === to)
      .map((message) => String(message.body ?? ''));
  };

interface LocalStackEmail {
  readonly Destination?: { readonly ToAddresses?: string[] };
  readonly Body?: { readonly text_part?: string | null; readonly html_part?: string | null };
}

/**
 * LocalStack's SES store: `GET /_aws/ses` → `{messages: [{Destination: {ToAddresses}, Body:
 * {text_part}}]}` in send order. Its `email` query parameter filters on the sender (Source),
 * not the recipient, so the recipient is matched here.
 */
export const localStackSes =
  (http: Http, base: string): MessageSource =>
  async (to) => {
    const body = expectStatus(await http(`${base}/_aws/ses`), 200) as {
      messages?: LocalStackEmail[];
    };
    return (body.messages ?? [])
      .filter((message) => message.Destination?.ToAddresses?.includes(to))
      .map((message) => String(message.Body?.text_part ?? message.Body?.html_part ?? ''));
  };

/**
 * Waits for message number `count` to `to` (delivery may lag on a real deployment) and
 * returns its body; polls for at most `waitMs`.
 */
export const waitForMessage = async (
  source: MessageSource,
  to: string,
  count: number,
  waitMs: number,
): Promise<string> => {
  const until = Date.now() + waitMs;
  for (;;) {
    const messages = await source(to);
    const message = messages[count - 1];
    if (message !== undefined) return message;
    if (Date.now() >= until) {
      throw new Error(
        `message ${count} to the test address did not arrive within ${waitMs / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (no padding) to bytes: the TOTP secret as enrollment returns it. */
export const fromBase32 = (text: string): Uint8Array => {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error('the TOTP secret is not base32');
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(bytes);
};
