import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/domain/policy/index.js';
import {
  challenge,
  claimsOf,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  unique,
  uniquePhone,
  verify,
} from '../support/flows.js';
import { basicAuth, postJson, registerClient, startTestRuntime } from '../support/local.js';
import { activePasskey } from '../support/passkey-flow.js';
import { assert as signAssertion } from '../support/webauthn-authenticator.js';

/**
 * `WEBAUTHN_USER_VERIFICATION=preferred`: a key that did not verify its user when registered
 * proves possession only, and is counted so by the factor-change rule ("two categories need
 * an sca token"), so its user is not left needing an `sca` token they can never get.
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime({
    env: { WEBAUTHN_USER_VERIFICATION: 'preferred', FACTOR_CHANGE_MAX_AGE_SECONDS: '300' },
  });
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

/** A token of one passkey approval (no transaction: level mfa), signed with or without UV. */
const approval = async (user: Awaited<ReturnType<typeof activePasskey>>, uv: boolean) => {
  const started = await startAuthn(base, { userId: user.userId });
  const challenged = await json(await challenge(base, started.stateToken, user.factorId));
  const done = await json(
    await postJson(base, `/v1/authn/factors/${user.factorId}/verify`, {
      stateToken: started.stateToken,
      credential: signAssertion(user.cred, {
        ...user.ceremony(challenged.publicKey.challenge),
        flags: { uv },
      }),
    }),
  );
  expect(done.status).toBe('SUCCESS');
  const claims = claimsOf(done.token);
  expect({ acr: claims.acr, amr: claims.amr }).toEqual(
    uv ? { acr: 'sca', amr: ['hwk', 'user', 'mfa'] } : { acr: 'mfa', amr: ['hwk', 'user'] },
  );
  return done.token as string;
};
const tokenWithoutUv = (user: Awaited<ReturnType<typeof activePasskey>>) => approval(user, false);

/** A factor change of the user with an MFA token. */
const withToken = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    ...init,
    headers: {
      authorization: basicAuth(),
      'content-type': 'application/json',
      'x-mfa-token': token,
    },
  });
/** A new app whose policy asks for sca everywhere. */
const scaApp = () =>
  registerClient(
    unique('sca-app'),
    'sca-secret-1',
    parsePolicy({ version: 1, rules: [], default: { require: 'sca' } }),
  );
const enrollPin = (userId: string, token: string, pin: string) =>
  withToken(`/v1/users/${userId}/factors`, token, { body: JSON.stringify({ type: 'pin', pin }) });

describe('passkeys without user verification (WEBAUTHN_USER_VERIFICATION=preferred)', () => {
  it('a key registered without UV counts as possession only: its own token adds a second factor', async () => {
    const user = await activePasskey(base, unique('nouv'), { uv: false });
    const token = await tokenWithoutUv(user);
    const enrolled = await enrollPin(user.userId, token, 'cedar-4417');
    expect(enrolled.status).toBe(201);
  });

  it('a key registered with UV counts as two categories: an approval without UV changes no factor', async () => {
    const user = await activePasskey(base, unique('uv'));
    const token = await tokenWithoutUv(user);
    const refusal = await expectProblem(
      await enrollPin(user.userId, token, 'cedar-4417'),
      401,
      'insufficient_user_authentication',
    );
    expect(refusal.detail).toContain('acr "sca"');
  });

  it('a key registered without UV that then approves with UV counts as two categories from then on', async () => {
    const user = await activePasskey(base, unique('uvlater'), { uv: false });
    const sca = await approval(user, true);
    // With that token the user adds SMS...
    const phone = uniquePhone();
    const enrolled = await json(
      await withToken(`/v1/users/${user.userId}/factors`, sca, {
        body: JSON.stringify({ type: 'sms', phoneNumber: phone }),
      }),
    );
    const activated = await withToken(
      `/v1/users/${user.userId}/factors/${enrolled.factor.id}/activate`,
      sca,
      { body: JSON.stringify({ passCode: await lastCode(base, phone) }) },
    );
    expect(activated.status).toBe(200);
    // ...and one holding only the SIM (an SMS code: acr mfa) cannot delete the key.
    const started = await startAuthn(base, { userId: user.userId });
    expect((await challenge(base, started.stateToken, enrolled.factor.id)).status).toBe(200);
    const smsOnly = await json(
      await verify(base, started.stateToken, enrolled.factor.id, await lastCode(base, phone)),
    );
    expect(claimsOf(smsOnly.token).acr).toBe('mfa');
    await expectProblem(
      await withToken(`/v1/users/${user.userId}/factors/${user.factorId}`, smsOnly.token, {
        method: 'DELETE',
      }),
      401,
      'insufficient_user_authentication',
    );
  });

  it('at sca, a key registered without UV is still offered: this approval may verify the user', async () => {
    const auth = await scaApp();
    const user = await activePasskey(base, unique('scakey'), { uv: false, auth });
    const started = await json(
      await postJson(
        base,
        '/v1/authn',
        { userId: user.userId, context: { primaryAuth: 'possession' } },
        auth,
      ),
    );
    expect(started.status).toBe('MFA_REQUIRED');
    expect(started.factors.map((f: { id: string }) => f.id)).toEqual([user.factorId]);
  });

  it('at sca, a key approved without UV is offered again, and its approval with UV finishes it', async () => {
    const auth = await scaApp();
    const user = await activePasskey(base, unique('again'), { uv: false, auth });
    const started = await json(await postJson(base, '/v1/authn', { userId: user.userId }, auth));
    const approve = async (uv: boolean) => {
      const challenged = await challenge(base, started.stateToken, user.factorId, auth);
      expect(challenged.status).toBe(200);
      const { publicKey } = await json(challenged);
      return json(
        await postJson(
          base,
          `/v1/authn/factors/${user.factorId}/verify`,
          {
            stateToken: started.stateToken,
            credential: signAssertion(user.cred, {
              ...user.ceremony(publicKey.challenge),
              flags: { uv },
            }),
          },
          auth,
        ),
      );
    };
    // Without UV: possession only, and the same key is what can still add inherence.
    const first = await approve(false);
    expect(first).toMatchObject({
      status: 'MFA_REQUIRED',
      requirement: { level: 'sca', categories: ['knowledge', 'inherence'] },
    });
    expect(first.factors.map((f: { id: string }) => f.id)).toEqual([user.factorId]);
    const done = await approve(true);
    expect(done.status).toBe('SUCCESS');
    expect(claimsOf(done.token).acr).toBe('sca');
  });
});
