import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/domain/policy/index.js';
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
  verify,
} from '../support/flows.js';
import { basicAuth, postJson, registerClient, startTestRuntime } from '../support/local.js';

const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime({ clock, env: { FACTOR_CHANGE_MAX_AGE_SECONDS: '300' } });
  base = runtime.url;
  await registerClient('other-app', 'other-secret');
});
afterAll(async () => {
  await runtime?.close();
});

/** An MFA token for `userId` from a full flow of one code factor (of `auth`'s app). */
const mfaToken = async (
  userId: string,
  factorId: string,
  email: string,
  auth = basicAuth(),
  start: Record<string, unknown> = {},
) => {
  const started = await json(await postJson(base, '/v1/authn', { userId, ...start }, auth));
  expect((await challenge(base, started.stateToken, factorId, auth)).status).toBe(200);
  const verified = await verify(
    base,
    started.stateToken,
    factorId,
    await lastCode(base, email),
    auth,
  );
  expect(verified.status).toBe(200);
  const body = await json(verified);
  return { token: body.token as string, txn: body.transactionId as string };
};

/** A POST as the demo app, with the user's MFA token when given. */
const post = (path: string, body: unknown, token?: string, auth = basicAuth()) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      authorization: auth,
      'content-type': 'application/json',
      ...(token === undefined ? {} : { 'x-mfa-token': token }),
    },
    body: JSON.stringify(body),
  });

const withToken = (userId: string, body: unknown, token?: string) =>
  post(`/v1/users/${userId}/factors`, body, token);

const remove = (userId: string, factorId: string, token?: string, auth = basicAuth()) =>
  fetch(`${base}/v1/users/${userId}/factors/${factorId}`, {
    method: 'DELETE',
    headers: {
      authorization: auth,
      ...(token === undefined ? {} : { 'x-mfa-token': token }),
    },
  });

describe('factor changes need a recent MFA token of the user (FACTOR_CHANGE_MAX_AGE_SECONDS)', () => {
  it("the first factor needs none; the next one needs the user's fresh token", async () => {
    const userId = unique('stepup');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    const attacker = { type: 'email', email: `attacker-${userId}@example.com` };

    const bareResponse = await withToken(userId, attacker);
    // Every 401 names how to authenticate (RFC 9110 §15.5.2): here RFC 9470's step-up challenge.
    expect(bareResponse.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=300',
    );
    const bare = await expectProblem(bareResponse, 401, 'insufficient_user_authentication');
    expect(bare.maxAge).toBe(300);
    const forged = await withToken(userId, attacker, 'not-a-token');
    expect(forged.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    await expectProblem(forged, 401, 'invalid_token');

    // Another user's token, and a token of this user from another app, do not count.
    const other = unique('other');
    const otherEmail = `${other}@example.com`;
    const otherFactor = await activeFactor(base, other, 'email', otherEmail);
    const foreign = await mfaToken(other, otherFactor, otherEmail);
    await expectProblem(await withToken(userId, attacker, foreign.token), 401, 'invalid_token');
    const otherApp = basicAuth('other-app', 'other-secret');
    const enrolledThere = await enroll(base, userId, { type: 'email', email }, otherApp);
    const thereId = (await json(enrolledThere)).factor.id;
    await activate(base, userId, thereId, await lastCode(base, email), otherApp);
    const fromOtherApp = await mfaToken(userId, thereId, email, otherApp);
    await expectProblem(
      await withToken(userId, attacker, fromOtherApp.token),
      401,
      'invalid_token',
    );

    const mine = await mfaToken(userId, factorId, email);
    const added = await withToken(userId, { type: 'totp' }, mine.token);
    expect(added.status).toBe(201);
    const totpId = (await json(added)).factor.id;
    const enrolled = runtime.events
      .list({ type: 'mfa.factor.enrolled' })
      .find((event) => event.detail.factorId === totpId);
    expect(enrolled?.detail.stepUpTransactionId).toBe(mine.txn);

    clock.advance(301); // the token is still valid (900 s), but not recent enough
    await expectProblem(
      await withToken(userId, attacker, mine.token),
      401,
      'insufficient_user_authentication',
    );
    await expectProblem(await remove(userId, totpId), 401, 'insufficient_user_authentication');
    await expectProblem(
      await remove(userId, totpId, mine.token),
      401,
      'insufficient_user_authentication',
    );
    const fresh = await mfaToken(userId, factorId, email);
    expect((await remove(userId, totpId, fresh.token)).status).toBe(204);
  });

  it('a factor enrolled while the user had none cannot be activated or re-sent later without a token', async () => {
    const userId = unique('early');
    const attackerEmail = `attacker-${userId}@example.com`;
    // Enrolled before the user's own factor is active: no token needed yet.
    const early = await json(await enroll(base, userId, { type: 'email', email: attackerEmail }));
    const earlyId = early.factor.id as string;
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);

    const path = `/v1/users/${userId}/factors/${earlyId}`;
    const resend = (token?: string) => post(`${path}/resend`, {}, token);
    const activateEarly = (passCode: string, token?: string) =>
      post(`${path}/activate`, { passCode }, token);
    clock.advance(31);
    await expectProblem(await resend(), 401, 'insufficient_user_authentication');
    await expectProblem(await activateEarly('000000'), 401, 'insufficient_user_authentication');

    // With the user's own fresh token, the change goes through (the code still decides).
    const mine = await mfaToken(userId, factorId, email);
    expect((await resend(mine.token)).status).toBe(200);
    const activated = await activateEarly(await lastCode(base, attackerEmail), mine.token);
    expect(activated.status).toBe(200);
  });

  it('a user with only pending factors changes them without a token', async () => {
    const userId = unique('pending');
    const first = await enroll(base, userId, { type: 'email', email: `${userId}@example.com` });
    expect(first.status).toBe(201);
    const factorId = (await json(first)).factor.id;
    expect((await remove(userId, factorId)).status).toBe(204);
  });

  it('two pending factors activated at the same moment: only one becomes ACTIVE without a token', async () => {
    for (let round = 0; round < 3; round += 1) {
      const userId = unique('race');
      const emails = [`${userId}-a@example.com`, `${userId}-b@example.com`];
      const ids: string[] = [];
      for (const email of emails) {
        const enrolled = await enroll(base, userId, { type: 'email', email });
        expect(enrolled.status).toBe(201);
        ids.push((await json(enrolled)).factor.id);
      }
      const codes = await Promise.all(emails.map((email) => lastCode(base, email)));
      const answers = await Promise.all(
        ids.map((id, i) => activate(base, userId, id, codes[i] as string)),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([200, 401]);
      const refused = answers.find((answer) => answer.status === 401) as Response;
      await expectProblem(refused, 401, 'insufficient_user_authentication');
      const listed = await json(
        await fetch(`${base}/v1/users/${userId}/factors`, {
          headers: { authorization: basicAuth() },
        }),
      );
      expect(listed.factors.filter((f: { status: string }) => f.status === 'ACTIVE')).toHaveLength(
        1,
      );
    }
  });

  it('a token is spent on one factor: its enroll, resend and activation, not a second factor', async () => {
    const userId = unique('spent');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    const mine = await mfaToken(userId, factorId, email);
    const second = `${userId}-2@example.com`;
    const added = await withToken(userId, { type: 'email', email: second }, mine.token);
    expect(added.status).toBe(201);
    const secondId = (await json(added)).factor.id;
    // The same token cannot add (or delete) another factor...
    const again = await expectProblem(
      await withToken(userId, { type: 'totp' }, mine.token),
      401,
      'insufficient_user_authentication',
    );
    expect(again.maxAge).toBe(300);
    await expectProblem(
      await remove(userId, factorId, mine.token),
      401,
      'insufficient_user_authentication',
    );
    // ...but finishes the change it was spent on.
    const path = `/v1/users/${userId}/factors/${secondId}`;
    clock.advance(31);
    expect((await post(`${path}/resend`, {}, mine.token)).status).toBe(200);
    const activated = await post(
      `${path}/activate`,
      { passCode: await lastCode(base, second) },
      mine.token,
    );
    expect(activated.status).toBe(200);
  });

  it('a token that approved a payment or a consent cannot authorize a factor change', async () => {
    const userId = unique('payment');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    for (const approved of [
      { transaction: { amount: '0.00', currency: 'EUR', payee: 'ACME Ltd' } },
      { consentId: 'consent-42' },
    ]) {
      const started = await json(await postJson(base, '/v1/authn', { userId, ...approved }));
      clock.advance(31);
      expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
      const verified = await verify(
        base,
        started.stateToken,
        factorId,
        await lastCode(base, email),
      );
      const { token } = await json(verified);
      await expectProblem(
        await withToken(userId, { type: 'totp' }, token),
        401,
        'insufficient_user_authentication',
      );
      await expectProblem(
        await remove(userId, factorId, token),
        401,
        'insufficient_user_authentication',
      );
    }
  });

  it('a PIN-only token cannot change the factors of a user who has a code factor', async () => {
    const userId = unique('pinonly');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    const mine = await mfaToken(userId, factorId, email);
    const pin = await json(await withToken(userId, { type: 'pin', pin: 'cedar-4417' }, mine.token));
    const started = await json(await postJson(base, '/v1/authn', { userId }));
    const verified = await json(
      await verify(base, started.stateToken, pin.factor.id, 'cedar-4417'),
    );
    await expectProblem(
      await withToken(userId, { type: 'totp' }, verified.token),
      401,
      'insufficient_user_authentication',
    );
  });

  it('a user whose factors prove two categories (SMS and PIN) changes them only with an sca token', async () => {
    const userId = unique('twocat');
    const phone = '+447700900471';
    const smsId = await activeFactor(base, userId, 'sms', phone);
    const first = await mfaToken(userId, smsId, phone);
    const pin = await json(
      await withToken(userId, { type: 'pin', pin: 'cedar-4417' }, first.token),
    );
    // A swapped SIM alone: an SMS code (acr mfa) deletes no PIN and adds no factor.
    clock.advance(31);
    const smsOnly = await mfaToken(userId, smsId, phone);
    // Without a token, the challenge already asks for sca: the app steps up once.
    expect((await remove(userId, pin.factor.id)).headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=300, acr_values="sca"',
    );
    const refused = await remove(userId, pin.factor.id, smsOnly.token);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", max_age=300, acr_values="sca"',
    );
    const refusal = await expectProblem(refused, 401, 'insufficient_user_authentication');
    expect(refusal.detail).toContain('acr "sca"');
    await expectProblem(
      await withToken(userId, { type: 'pin', pin: 'maple-9920' }, smsOnly.token),
      401,
      'insufficient_user_authentication',
    );
    // The app's password sign-in and the SMS code: two categories, acr sca.
    clock.advance(31);
    const sca = await mfaToken(userId, smsId, phone, basicAuth(), {
      context: { primaryAuth: 'knowledge' },
    });
    expect((await remove(userId, pin.factor.id, sca.token)).status).toBe(204);
  });

  it('under a policy that counts email as possession, email and a PIN are two categories: an email code alone changes neither', async () => {
    const auth = await registerClient(
      unique('emailpos'),
      'emailpos-secret-1',
      parsePolicy({ version: 1, rules: [], default: { require: 'mfa' }, emailIsPossession: true }),
    );
    const userId = unique('emailpos');
    const email = `${userId}@example.com`;
    const emailId = await activeFactor(base, userId, 'email', email, auth);
    const first = await mfaToken(userId, emailId, email, auth);
    const enrolled = await post(
      `/v1/users/${userId}/factors`,
      { type: 'pin', pin: 'cedar-4417' },
      first.token,
      auth,
    );
    const pin = await json(enrolled);
    expect(enrolled.status).toBe(201);
    clock.advance(31);
    const emailOnly = await mfaToken(userId, emailId, email, auth);
    await expectProblem(
      await remove(userId, pin.factor.id, emailOnly.token, auth),
      401,
      'insufficient_user_authentication',
    );
    clock.advance(31);
    const sca = await mfaToken(userId, emailId, email, auth, {
      context: { primaryAuth: 'knowledge' },
    });
    expect((await remove(userId, pin.factor.id, sca.token, auth)).status).toBe(204);
  });

  it('two changes racing with one token: exactly one goes through', async () => {
    const userId = unique('tworace');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    const mine = await mfaToken(userId, factorId, email);
    const answers = await Promise.all(
      [0, 1, 2, 3].map(() => withToken(userId, { type: 'totp' }, mine.token)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 401, 401, 401]);
  });

  it('without a valid token, an unknown factor id answers 401, not 404 (no probing)', async () => {
    const userId = unique('probe');
    const email = `${userId}@example.com`;
    await activeFactor(base, userId, 'email', email);
    const unknown = 'email_AAAAAAAAAAAAAAAAAAAA';
    await expectProblem(await remove(userId, unknown), 401, 'insufficient_user_authentication');
    await expectProblem(await remove(userId, unknown, 'not-a-token'), 401, 'invalid_token');
    const path = `/v1/users/${userId}/factors/${unknown}`;
    await expectProblem(
      await post(`${path}/activate`, { passCode: '123456' }),
      401,
      'insufficient_user_authentication',
    );
    await expectProblem(await post(`${path}/resend`, {}, 'x.y.z'), 401, 'invalid_token');
  });

  it('transactions are not affected', async () => {
    const userId = unique('plain');
    const email = `${userId}@example.com`;
    const factorId = await activeFactor(base, userId, 'email', email);
    const started = await startAuthn(base, { userId });
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
  });
});
