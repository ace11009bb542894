import { expect } from 'vitest';
import { challenge, enroll, json, startAuthn } from './flows.js';
import { basicAuth, postJson } from './local.js';
import {
  type Ceremony,
  newCredential,
  register,
  type SoftCredential,
  assert as signAssertion,
} from './webauthn-authenticator.js';

/** The origin passkeys work from on a local runtime: `localhost` (the RP id), its port. */
export const passkeyOrigin = (base: string) => `http://localhost:${new URL(base).port}`;

/** A user with an ACTIVE passkey registered by a software authenticator. */
export const activePasskey = async (
  base: string,
  userId: string,
  options: Parameters<typeof newCredential>[0] & {
    fmt?: 'none' | 'packed';
    auth?: string;
    displayName?: string;
  } = {},
) => {
  const auth = options.auth ?? basicAuth();
  const ceremony = (challengeB64u: string): Ceremony => ({
    challenge: challengeB64u,
    origin: passkeyOrigin(base),
    rpId: 'localhost',
  });
  const enrolled = await enroll(
    base,
    userId,
    { type: 'webauthn', ...(options.displayName ? { displayName: options.displayName } : {}) },
    auth,
  );
  expect(enrolled.status).toBe(201);
  const body = await json(enrolled);
  const cred = newCredential(options);
  const activated = await postJson(
    base,
    `/v1/users/${encodeURIComponent(userId)}/factors/${body.factor.id}/activate`,
    {
      credential: register(cred, {
        ...ceremony(body.activation.publicKey.challenge),
        fmt: options.fmt ?? 'none',
      }),
    },
    auth,
  );
  expect(activated.status).toBe(200);
  return { userId, factorId: body.factor.id as string, cred, auth, ceremony, enrolled: body };
};

/** Starts `transaction` for the user, challenges the passkey and verifies its assertion. */
export const approveWithPasskey = async (
  base: string,
  user: {
    userId: string;
    factorId: string;
    cred: SoftCredential;
    ceremony: (c: string) => Ceremony;
  },
  transaction: Record<string, string>,
) => {
  const started = await startAuthn(base, { userId: user.userId, transaction });
  const challenged = await json(await challenge(base, started.stateToken, user.factorId));
  const done = await json(
    await postJson(base, `/v1/authn/factors/${user.factorId}/verify`, {
      stateToken: started.stateToken,
      credential: signAssertion(user.cred, user.ceremony(challenged.publicKey.challenge)),
    }),
  );
  expect(done.status).toBe('SUCCESS');
  return { started, challenged, done };
};
