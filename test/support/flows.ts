import { expect } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { basicAuth, postJson } from './local.js';

/** A clock the tests move forward instead of sleeping. */
export const testClock = () => {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance: (seconds: number) => {
      offsetMs += seconds * 1000;
    },
  };
};

let sequence = 0;
const nextSequence = () => {
  sequence += 1;
  return sequence;
};
/** Unique per call (and per test file process), so rate limits of one test never hit another. */
export const unique = (prefix: string) => `${prefix}${process.pid}x${nextSequence()}`;
export const uniquePhone = () =>
  `+447700900${String((process.pid * 7 + nextSequence()) % 1000).padStart(3, '0')}`;

/** A response body, read loosely: the assertions check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: tests read bodies loosely and assert their shape
export const json = async (response: Response) => (await response.json()) as Record<string, any>;

/** An MFA token's claims, decoded (not verified: the routes under test verify it). */
export const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  > & { acr: string; amr: string[]; sca?: Record<string, string> };

/** The newest code sent to `to`, read from the local outbox over HTTP. */
export const lastCode = async (base: string, to: string): Promise<string> => {
  const outbox = await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(to)}`));
  const newest = outbox.messages.at(-1);
  expect(newest, `a message to ${to}`).toBeDefined();
  return /\d{6,8}/.exec(newest.body)?.[0] as string;
};

export const expectProblem = async (response: Response, status: number, code: string) => {
  const body = await json(response);
  expect({ status: response.status, code: body.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return body;
};

export const enroll = (base: string, userId: string, body: unknown, auth = basicAuth()) =>
  postJson(base, `/v1/users/${encodeURIComponent(userId)}/factors`, body, auth);

export const activate = (
  base: string,
  userId: string,
  factorId: string,
  passCode: string,
  auth = basicAuth(),
) =>
  postJson(
    base,
    `/v1/users/${encodeURIComponent(userId)}/factors/${factorId}/activate`,
    { passCode },
    auth,
  );

/** Enrolls and activates an sms or email factor; returns its id. */
export const activeFactor = async (
  base: string,
  userId: string,
  kind: 'sms' | 'email',
  to: string,
  auth = basicAuth(),
) => {
  const body = kind === 'sms' ? { type: 'sms', phoneNumber: to } : { type: 'email', email: to };
  const enrolled = await enroll(base, userId, body, auth);
  expect(enrolled.status).toBe(201);
  const factorId = (await json(enrolled)).factor.id as string;
  const activated = await activate(base, userId, factorId, await lastCode(base, to), auth);
  expect(activated.status).toBe(200);
  return factorId;
};

export const startAuthn = async (base: string, body: Record<string, unknown>) => {
  const response = await postJson(base, '/v1/authn', body);
  expect(response.status).toBe(200);
  return json(response);
};

export const challenge = (base: string, stateToken: string, factorId: string, auth = basicAuth()) =>
  postJson(base, `/v1/authn/factors/${factorId}/challenge`, { stateToken }, auth);

export const verify = (
  base: string,
  stateToken: string,
  factorId: string,
  passCode: string,
  auth = basicAuth(),
) => postJson(base, `/v1/authn/factors/${factorId}/verify`, { stateToken, passCode }, auth);

/** A code that is certainly wrong for the right one. */
export const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

export type Runtime = LocalRuntime & { logs: string[] };
