import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challenge, claimsOf, expectProblem, json, startAuthn, unique } from '../support/flows.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';
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

/** A token of one passkey approval (no transaction: level mfa), signed without UV. */
const tokenWithoutUv = async (user: Awaited<ReturnType<typeof activePasskey>>) => {
  const started = await startAuthn(base, { userId: user.userId });
  const challenged = await json(await challenge(base, started.stateToken, user.factorId));
  const done = await json(
    await postJson(base, `/v1/authn/factors/${user.factorId}/verify`, {
      stateToken: started.stateToken,
      credential: signAssertion(user.cred, {
        ...user.ceremony(challenged.publicKey.challenge),
        flags: { uv: false },
      }),
    }),
  );
  expect(done.status).toBe('SUCCESS');
  const claims = claimsOf(done.token);
  expect({ acr: claims.acr, amr: claims.amr }).toEqual({ acr: 'mfa', amr: ['hwk', 'user'] });
  return done.token as string;
};

const enrollPin = (userId: string, token: string, pin: string) =>
  fetch(`${base}/v1/users/${userId}/factors`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(),
      'content-type': 'application/json',
      'x-mfa-token': token,
    },
    body: JSON.stringify({ type: 'pin', pin }),
  });

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
});
