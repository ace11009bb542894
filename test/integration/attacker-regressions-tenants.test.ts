import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  activeFactor,
  challenge,
  enroll,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  testClock,
  unique,
  uniquePhone,
  verify,
} from '../support/flows.js';
import { basicAuth, postJson, registerClient, startTestRuntime } from '../support/local.js';

/** Attacks across tenants (two apps, one user id) and on state tokens, over HTTP. */
const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
let appB: string;

beforeAll(async () => {
  runtime = await startTestRuntime({ clock });
  base = runtime.url;
  appB = await registerClient('app-b', 'app-b-secret');
});
afterAll(async () => {
  await runtime?.close();
});

const list = async (userId: string, auth = basicAuth()) => {
  const response = await fetch(`${base}/v1/users/${userId}/factors`, {
    headers: { authorization: auth },
  });
  expect(response.status).toBe(200);
  return (await json(response)).factors as { id: string; status: string }[];
};
const factorPost = (
  userId: string,
  factorId: string,
  action: string,
  body: unknown,
  auth: string,
) => postJson(base, `/v1/users/${userId}/factors/${factorId}/${action}`, body, auth);
const remove = (userId: string, factorId: string, auth: string) =>
  fetch(`${base}/v1/users/${userId}/factors/${factorId}`, {
    method: 'DELETE',
    headers: { authorization: auth },
  });
const status = (stateToken: unknown, auth = basicAuth()) =>
  postJson(base, '/v1/authn/status', { stateToken }, auth);
const cancel = (stateToken: unknown, auth = basicAuth()) =>
  postJson(base, '/v1/authn/cancel', { stateToken }, auth);

describe('tenant isolation: app B against app A, for the same user id', () => {
  it("B sees, changes and drives none of A's factors or transactions; A's data is unchanged", async () => {
    const userId = unique('shared');
    const emailA = `${userId}-a@example.com`;
    const phoneA = uniquePhone();
    const activeA = await activeFactor(base, userId, 'email', emailA);
    const pendingA = (await json(await enroll(base, userId, { type: 'sms', phoneNumber: phoneA })))
      .factor.id as string;
    const codeA = await lastCode(base, phoneA);
    const sentToA = runtime.outbox.list(phoneA).length;
    const { stateToken } = await startAuthn(base, { userId });
    // B has its own user of the same id, with its own active factor.
    const emailB = `${userId}-b@example.com`;
    const enrolledB = await json(
      await enroll(base, userId, { type: 'email', email: emailB }, appB),
    );
    const factorB = enrolledB.factor.id as string;
    expect((await activate(base, userId, factorB, await lastCode(base, emailB), appB)).status).toBe(
      200,
    );
    const before = await list(userId);

    expect((await list(userId, appB)).map((factor) => factor.id)).toEqual([factorB]);
    await expectProblem(await remove(userId, activeA, appB), 404, 'not_found');
    await expectProblem(await remove(userId, pendingA, appB), 404, 'not_found');
    // The right code, from B: still 404, and the code is not used up.
    await expectProblem(await activate(base, userId, pendingA, codeA, appB), 404, 'not_found');
    await expectProblem(await factorPost(userId, pendingA, 'resend', {}, appB), 404, 'not_found');
    clock.advance(31); // past A's resend cooldown: B still gets 404, not a send
    await expectProblem(await factorPost(userId, pendingA, 'resend', {}, appB), 404, 'not_found');
    for (const factorId of [activeA, factorB]) {
      await expectProblem(await challenge(base, stateToken, factorId, appB), 404, 'not_found');
      await expectProblem(
        await verify(base, stateToken, factorId, '123456', appB),
        404,
        'not_found',
      );
    }
    await expectProblem(await status(stateToken, appB), 404, 'not_found');
    await expectProblem(await cancel(stateToken, appB), 404, 'not_found');
    // B's transaction offers only B's factor, and A's factor ids are unknown in it.
    const startedB = await json(await postJson(base, '/v1/authn', { userId }, appB));
    expect(startedB.factors.map((factor: { id: string }) => factor.id)).toEqual([factorB]);
    await expectProblem(
      await challenge(base, startedB.stateToken, activeA, appB),
      404,
      'not_found',
    );

    expect(await list(userId)).toEqual(before);
    expect(before.map((factor) => [factor.id, factor.status])).toEqual([
      [activeA, 'ACTIVE'],
      [pendingA, 'PENDING_ACTIVATION'],
    ]);
    expect(runtime.outbox.list(phoneA)).toHaveLength(sentToA);
    expect((await json(await status(stateToken))).status).toBe('MFA_REQUIRED');
    expect((await activate(base, userId, pendingA, codeA)).status).toBe(200);
    expect((await challenge(base, stateToken, activeA)).status).toBe(200);
    const verified = await verify(base, stateToken, activeA, await lastCode(base, emailA));
    expect(verified.status).toBe(200);
    expect(
      JSON.parse(Buffer.from((await json(verified)).token.split('.')[1], 'base64url').toString()),
    ).toMatchObject({ sub: userId, aud: 'demo' });
  });
});

describe('state-token tampering', () => {
  let userId: string;
  let factorId: string;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    userId = unique('tamper');
    factorId = await activeFactor(base, userId, 'email', `${userId}@example.com`);
    token = (await startAuthn(base, { userId })).stateToken;
    const other = unique('tamper-other');
    await activeFactor(base, other, 'email', `${other}@example.com`);
    otherToken = (await startAuthn(base, { userId: other })).stateToken;
  });

  const flip = (value: string, index: number) =>
    `${value.slice(0, index)}${value[index] === 'A' ? 'B' : 'A'}${value.slice(index + 1)}`;
  const ref = () => token.split('.')[0] as string;
  const secret = () => token.split('.')[1] as string;
  const cases: [string, () => unknown, string][] = [
    ['one character of the secret flipped', () => flip(token, 60), '404 not_found'],
    ['the last character flipped', () => flip(token, token.length - 1), '404 not_found'],
    ["another user's user part", () => `${otherToken.split('.')[0]}.${secret()}`, '404 not_found'],
    ["another user's secret", () => `${ref()}.${otherToken.split('.')[1]}`, '404 not_found'],
    ['truncated by one character', () => token.slice(0, -1), '404 not_found'],
    ['only the user part', () => ref(), '404 not_found'],
    ['an extra dot', () => `${token}.`, '404 not_found'],
    ['an extra segment', () => `${token}.${secret()}`.slice(0, 128), '404 not_found'],
    ['parts swapped', () => `${secret()}.${ref()}`, '404 not_found'],
    ['upper-cased', () => token.toUpperCase(), '404 not_found'],
    ['over 128 characters', () => `${token}${'A'.repeat(50)}`, '400 invalid_request'],
    ['a base64 "+"', () => `${token.slice(0, 50)}+${token.slice(51)}`, '400 invalid_request'],
    ['a base64 "/"', () => `${token.slice(0, 10)}/${token.slice(11)}`, '400 invalid_request'],
    ['"=" padding', () => `${token}=`, '400 invalid_request'],
    ['a percent-encoded dot', () => token.replace('.', '%2E'), '400 invalid_request'],
    ['a non-ASCII letter', () => `${token.slice(0, -1)}é`, '400 invalid_request'],
    ['a space', () => ` ${token}`, '400 invalid_request'],
    ['empty', () => '', '400 invalid_request'],
    ['a number', () => 1234567890123456, '400 invalid_request'],
    ['an array', () => [token], '400 invalid_request'],
    ['an object', () => ({ stateToken: token }), '400 invalid_request'],
  ];

  it.each(cases)(
    '%s → %s on status, cancel, challenge and verify',
    async (_name, make, expected) => {
      const stateToken = make();
      const answers = await Promise.all([
        status(stateToken),
        cancel(stateToken),
        postJson(base, `/v1/authn/factors/${factorId}/challenge`, { stateToken }),
        postJson(base, `/v1/authn/factors/${factorId}/verify`, { stateToken, passCode: '123456' }),
      ]);
      const seen = await Promise.all(
        answers.map(async (response) => `${response.status} ${(await json(response)).code}`),
      );
      expect(seen).toEqual([expected, expected, expected, expected]);
    },
  );

  it('the real transaction is untouched: still live and completes', async () => {
    expect(await json(await status(token))).toMatchObject({ status: 'MFA_REQUIRED' });
    expect((await challenge(base, token, factorId)).status).toBe(200);
    const code = await lastCode(base, `${userId}@example.com`);
    expect((await verify(base, token, factorId, code)).status).toBe(200);
  });
});
