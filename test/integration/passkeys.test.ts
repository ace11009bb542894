import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashStateToken } from '../../shared/domain/state-token.js';
import { deps } from '../support/deps.js';
import {
  challenge,
  claimsOf,
  enroll,
  expectProblem,
  json,
  unique,
  uniquePhone,
} from '../support/flows.js';
import { basicAuth, postJson, registerClient, startTestRuntime } from '../support/local.js';
import { activePasskey } from '../support/passkey-flow.js';
import {
  cbor,
  type Flags,
  newCredential,
  register,
  type SoftCredential,
  assert as signAssertion,
} from '../support/webauthn-authenticator.js';

/** Passkeys (API.md v1.1 "Passkeys") over HTTP, with a software authenticator. */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
let origin: string;
const RP_ID = 'localhost';

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
  origin = `http://localhost:${new URL(base).port}`;
});
afterAll(async () => {
  await runtime?.close();
});

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

const activatePasskey = (
  userId: string,
  factorId: string,
  credential: unknown,
  auth = basicAuth(),
) => postJson(base, `/v1/users/${userId}/factors/${factorId}/activate`, { credential }, auth);

/** A user with an ACTIVE passkey made by a software authenticator. */
const withPasskey = (options: Parameters<typeof activePasskey>[2] = {}) =>
  activePasskey(base, unique('passkey'), { displayName: 'Test key', ...options });

const PAYMENT = {
  amount: '42.50',
  currency: 'EUR',
  payee: 'Acme Ltd',
  payeeAccount: 'GB33BUKB20201555555555',
};

/** Starts a payment for the user and asks for a passkey challenge. */
const challenged = async (
  user: { userId: string; factorId: string; auth: string },
  transaction: Record<string, unknown> = PAYMENT,
) => {
  const started = await json(
    await postJson(base, '/v1/authn', { userId: user.userId, transaction }, user.auth),
  );
  expect(started.status).toBe('MFA_REQUIRED');
  const response = await challenge(base, started.stateToken, user.factorId, user.auth);
  expect(response.status).toBe(200);
  return { started, stateToken: started.stateToken as string, body: await json(response) };
};

const verifyWith = (
  user: { factorId: string; auth: string },
  stateToken: string,
  credential: unknown,
) =>
  postJson(
    base,
    `/v1/authn/factors/${user.factorId}/verify`,
    { stateToken, credential },
    user.auth,
  );

const approve = (
  cred: SoftCredential,
  challengeB64u: string,
  over: {
    origin?: string;
    rpId?: string;
    type?: string;
    flags?: Flags;
    counter?: number;
    clientExtra?: Record<string, unknown>;
  } = {},
) =>
  signAssertion(cred, {
    challenge: challengeB64u,
    origin: over.origin ?? origin,
    rpId: over.rpId ?? RP_ID,
    ...(over.type ? { type: over.type } : {}),
    ...(over.flags ? { flags: over.flags } : {}),
    ...(over.counter === undefined ? {} : { counter: over.counter }),
    ...(over.clientExtra ? { clientExtra: over.clientExtra } : {}),
  });

describe('passkeys: registration', () => {
  it('enroll answers creation options: RP, ES256 and RS256, resident key preferred, UV required, attestation none', async () => {
    const userId = unique('passkey');
    const response = await enroll(base, userId, { type: 'webauthn', displayName: 'Work laptop' });
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(body.factor).toMatchObject({
      type: 'webauthn',
      status: 'PENDING_ACTIVATION',
      profile: { displayName: 'Work laptop' },
    });
    const options = body.activation.publicKey;
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'MFA Service' },
      user: { name: userId, displayName: 'Work laptop' },
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      attestation: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      timeout: 300_000,
    });
    expect(Buffer.from(options.challenge, 'base64url')).toHaveLength(32);
    // The user handle is random, never the user id.
    expect(Buffer.from(options.user.id, 'base64url')).toHaveLength(16);
    expect(Buffer.from(options.user.id, 'base64url').toString()).not.toContain(userId);
  });

  it('activates with `none`, and with `packed` self-attestation of an RS256 key', async () => {
    const es256 = await withPasskey();
    const rs256 = await withPasskey({ alg: -257, fmt: 'packed' });
    for (const user of [es256, rs256]) {
      const listed = await json(
        await fetch(`${base}/v1/users/${user.userId}/factors`, {
          headers: { authorization: basicAuth() },
        }),
      );
      expect(listed.factors).toEqual([
        expect.objectContaining({
          id: user.factorId,
          type: 'webauthn',
          status: 'ACTIVE',
          profile: { displayName: 'Test key' },
        }),
      ]);
      // The stored factor holds the credential sealed: no public key or id in plain.
      const stored = (await deps().factors.getUser('demo', user.userId))?.factors[user.factorId];
      expect(JSON.stringify(stored)).not.toContain(user.cred.id.toString('base64url'));
      expect(stored?.sealedSecret).toBeTruthy();
    }
  });

  it('a registration from another origin, for another RP id, of another challenge or without UV: 401 invalid_credential, counted', async () => {
    const userId = unique('passkey');
    const body = await json(await enroll(base, userId, { type: 'webauthn' }));
    const cred = newCredential();
    const challengeB64u = body.activation.publicKey.challenge;
    const bad = [
      register(cred, { challenge: challengeB64u, origin: 'https://evil.example', rpId: RP_ID }),
      register(cred, { challenge: challengeB64u, origin, rpId: 'evil.example' }),
      register(cred, { challenge: Buffer.alloc(32, 1).toString('base64url'), origin, rpId: RP_ID }),
      register(cred, { challenge: challengeB64u, origin, rpId: RP_ID, flags: { uv: false } }),
    ];
    let remaining = 5;
    for (const registration of bad) {
      const problem = await expectProblem(
        await activatePasskey(userId, body.factor.id, registration),
        401,
        'invalid_credential',
      );
      remaining -= 1;
      expect(problem.attemptsRemaining).toBe(remaining);
    }
    // The right one still activates (one attempt left).
    const good = register(cred, { challenge: challengeB64u, origin, rpId: RP_ID });
    expect((await activatePasskey(userId, body.factor.id, good)).status).toBe(200);
    // ...once.
    await expectProblem(await activatePasskey(userId, body.factor.id, good), 409, 'invalid_state');
  });

  it('activate of a passkey needs `credential`: 400 invalid_request', async () => {
    const userId = unique('passkey');
    const body = await json(await enroll(base, userId, { type: 'webauthn' }));
    const problem = await expectProblem(
      await postJson(base, `/v1/users/${userId}/factors/${body.factor.id}/activate`, {
        passCode: '123456',
      }),
      400,
      'invalid_request',
    );
    expect(problem.detail).toBe('Invalid body: credential: required for a webauthn factor');
  });
});

describe('passkeys: approving a payment', () => {
  it('the challenge is SHA-256(JCS({binding, nonce})), binding over the transaction; one gesture meets sca', async () => {
    const user = await withPasskey();
    const { started, stateToken, body } = await challenged(user);
    expect(body).toMatchObject({
      status: 'MFA_CHALLENGE',
      factorId: user.factorId,
      publicKey: {
        rpId: 'localhost',
        userVerification: 'required',
        allowCredentials: [{ type: 'public-key', id: user.cred.id.toString('base64url') }],
      },
      securePaymentConfirmation: {
        rpId: 'localhost',
        credentialIds: [user.cred.id.toString('base64url')],
        payeeName: 'Acme Ltd',
        total: { currency: 'EUR', value: '42.50' },
      },
    });
    expect(body.securePaymentConfirmation.challenge).toBe(body.publicKey.challenge);
    // Recomputed here from API.md's canonical forms alone, with the nonce the service stored.
    const item = await deps().factors.getUser('demo', user.userId);
    const nonce = item?.txns?.[hashStateToken(stateToken)]?.codeMac as string;
    expect(Buffer.from(nonce, 'base64url').length).toBeGreaterThanOrEqual(16);
    const binding = sha256(
      canonicalize({ txn: started.transactionId, ...PAYMENT }) as string,
    ).toString('base64url');
    // The answer names both, so the app can keep them with the assertion.
    expect({ binding: body.binding, nonce: body.nonce }).toEqual({ binding, nonce });
    const expected = sha256(canonicalize({ binding, nonce }) as string).toString('base64url');
    expect(body.publicKey.challenge).toBe(expected);

    const verified = await verifyWith(
      user,
      stateToken,
      approve(user.cred, body.publicKey.challenge),
    );
    expect(verified.status).toBe(200);
    const success = await json(verified);
    expect(success.status).toBe('SUCCESS');
    const claims = claimsOf(success.token);
    expect(claims).toMatchObject({ acr: 'sca', txn: started.transactionId });
    expect(claims.amr).toEqual(expect.arrayContaining(['hwk', 'user', 'mfa']));
    expect(claims.amr).not.toContain('swk');
  });

  it('a synced passkey (backup eligible, no counter) says swk; each challenge differs', async () => {
    const user = await withPasskey({ be: true, bs: true, zeroCounter: true });
    const first = await challenged(user);
    const again = await challenge(base, first.stateToken, user.factorId);
    expect(again.status).toBe(200);
    const second = await json(again);
    expect(second.publicKey.challenge).not.toBe(first.body.publicKey.challenge);
    const verified = await verifyWith(
      user,
      first.stateToken,
      approve(user.cred, second.publicKey.challenge),
    );
    expect(verified.status).toBe(200);
    expect(claimsOf((await json(verified)).token).amr).toEqual(
      expect.arrayContaining(['swk', 'user']),
    );
  });

  it('accepts an SPC `payment.get` assertion whose shown payment is the transaction, refuses another', async () => {
    const user = await withPasskey();
    const shown = (value: string) => ({
      payment: {
        rpId: RP_ID,
        payeeName: 'Acme Ltd',
        total: { currency: 'EUR', value },
        instrument: { displayName: 'Test key' },
      },
    });
    const { stateToken, body } = await challenged(user);
    await expectProblem(
      await verifyWith(
        user,
        stateToken,
        approve(user.cred, body.publicKey.challenge, {
          type: 'payment.get',
          clientExtra: shown('4250.00'),
        }),
      ),
      401,
      'invalid_credential',
    );
    const verified = await verifyWith(
      user,
      stateToken,
      approve(user.cred, body.publicKey.challenge, {
        type: 'payment.get',
        clientExtra: shown('42.50'),
      }),
    );
    expect(verified.status).toBe(200);
    expect((await json(verified)).status).toBe('SUCCESS');
  });

  it('a passkey flow (start, challenge, verify) costs at most 5 DynamoDB requests', async () => {
    const user = await withPasskey();
    const before = { ...runtime.stats.dynamodbRequests };
    const { stateToken, body } = await challenged(user);
    expect(
      (await verifyWith(user, stateToken, approve(user.cred, body.publicKey.challenge))).status,
    ).toBe(200);
    let requests = 0;
    for (const [name, count] of Object.entries(runtime.stats.dynamodbRequests)) {
      requests += count - (before[name] ?? 0);
    }
    // The app client's record is cached after the first request of this process.
    expect(requests).toBeLessThanOrEqual(5);
  });
});

describe('passkeys: refusals, each 401 invalid_credential and counted', () => {
  it('wrong origin, wrong RP id, another transaction, a replay, a counter regression, no UV, another user', async () => {
    const user = await withPasskey();
    const other = await withPasskey();
    const { stateToken, body } = await challenged(user);
    const c = body.publicKey.challenge;
    // A challenge of another transaction of the same user: another amount.
    const elsewhere = await challenged(user, { ...PAYMENT, amount: '4250.00' });
    const bad = [
      approve(user.cred, c, { origin: 'https://evil.example' }),
      approve(user.cred, c, { rpId: 'evil.example' }),
      approve(user.cred, elsewhere.body.publicKey.challenge),
      approve(user.cred, c, { flags: { uv: false } }),
    ];
    let remaining = 5;
    for (const assertion of bad) {
      const problem = await expectProblem(
        await verifyWith(user, stateToken, assertion),
        401,
        'invalid_credential',
      );
      remaining -= 1;
      expect(problem.attemptsRemaining).toBe(remaining);
    }
    // Another user's passkey is the fifth failure: it ends the transaction, as a fifth wrong code does.
    await expectProblem(
      await verifyWith(user, stateToken, approve(other.cred, c)),
      403,
      'locked_out',
    );
    await expectProblem(
      await verifyWith(user, stateToken, approve(user.cred, c)),
      403,
      'locked_out',
    );
  });

  it('a replayed assertion (the challenge renewed), a sign-counter regression', async () => {
    const user = await withPasskey();
    const { stateToken, body } = await challenged(user);
    const old = approve(user.cred, body.publicKey.challenge);
    const renewed = await json(await challenge(base, stateToken, user.factorId));
    await expectProblem(await verifyWith(user, stateToken, old), 401, 'invalid_credential');
    // Counter: the last accepted one is the activation's (0); use one, then go back.
    const good = approve(user.cred, renewed.publicKey.challenge, { counter: 7 });
    expect((await verifyWith(user, stateToken, good)).status).toBe(200);
    // After success the same assertion is refused with the transaction finished.
    await expectProblem(await verifyWith(user, stateToken, good), 409, 'invalid_state');
    const next = await challenged(user);
    const problem = await expectProblem(
      await verifyWith(
        user,
        next.stateToken,
        approve(user.cred, next.body.publicKey.challenge, { counter: 7 }),
      ),
      401,
      'invalid_credential',
    );
    expect(problem.attemptsRemaining).toBe(4);
    expect(
      (
        await verifyWith(
          user,
          next.stateToken,
          approve(user.cred, next.body.publicKey.challenge, { counter: 8 }),
        )
      ).status,
    ).toBe(200);
  });

  it("a credential of another app's user of the same id", async () => {
    const appAuth = await registerClient(unique('app'), 'other-app-secret');
    const mine = await withPasskey();
    const theirs = await withPasskey({ auth: appAuth });
    const { stateToken, body } = await challenged(mine);
    await expectProblem(
      await verifyWith(mine, stateToken, approve(theirs.cred, body.publicKey.challenge)),
      401,
      'invalid_credential',
    );
  });

  it('verify of a passkey needs `credential` (400), and a live challenge (409)', async () => {
    const user = await withPasskey();
    const started = await json(await postJson(base, '/v1/authn', { userId: user.userId }));
    const noChallenge = approve(user.cred, Buffer.alloc(32).toString('base64url'));
    await expectProblem(
      await verifyWith(user, started.stateToken, noChallenge),
      409,
      'invalid_state',
    );
    const problem = await expectProblem(
      await postJson(base, `/v1/authn/factors/${user.factorId}/verify`, {
        stateToken: started.stateToken,
        passCode: '123456',
      }),
      400,
      'invalid_request',
    );
    expect(problem.detail).toBe('Invalid body: credential: required for a webauthn factor');
  });
});

describe('passkeys: attacker review regressions', () => {
  /** A credential whose COSE key is replaced by `cose` (the registration's own signature is not checked for `none`). */
  const withKey = (cose: Map<unknown, unknown>) => ({
    ...newCredential(),
    cosePublicKey: cbor(cose as Parameters<typeof cbor>[0] & Map<never, never>),
  });

  it('refuses keys anyone could forge or nobody could use: RSA e=1 or 1024 bits, an EC point off the curve', async () => {
    const odd = Buffer.alloc(256, 0xab);
    const unsound = [
      new Map<unknown, unknown>([
        [1, 3],
        [3, -257],
        [-1, odd],
        [-2, Buffer.from([1])],
      ]),
      new Map<unknown, unknown>([
        [1, 3],
        [3, -257],
        [-1, Buffer.alloc(128, 0xab)],
        [-2, Buffer.from([1, 0, 1])],
      ]),
      new Map<unknown, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.alloc(32, 1)],
        [-3, Buffer.alloc(32, 2)],
      ]),
    ];
    for (const cose of unsound) {
      const userId = unique('passkey-bad-key');
      const body = await json(await enroll(base, userId, { type: 'webauthn' }));
      const registration = register(withKey(cose), {
        challenge: body.activation.publicKey.challenge,
        origin,
        rpId: RP_ID,
      });
      await expectProblem(
        await activatePasskey(userId, body.factor.id, registration),
        401,
        'invalid_credential',
      );
    }
  });

  it('refuses a registration made inside another site frame', async () => {
    const userId = unique('passkey-framed');
    const body = await json(await enroll(base, userId, { type: 'webauthn' }));
    const cred = newCredential();
    const registration = register(cred, {
      challenge: body.activation.publicKey.challenge,
      origin,
      rpId: RP_ID,
    });
    const data = JSON.parse(
      Buffer.from(registration.response.clientDataJSON, 'base64url').toString(),
    );
    const framed = {
      ...registration,
      response: {
        ...registration.response,
        clientDataJSON: Buffer.from(
          JSON.stringify({ ...data, crossOrigin: true, topOrigin: 'https://evil.example' }),
        ).toString('base64url'),
      },
    };
    await expectProblem(
      await activatePasskey(userId, body.factor.id, framed),
      401,
      'invalid_credential',
    );
  });

  it('a backup-eligibility flag other than at registration is refused, and the log says why', async () => {
    const user = await withPasskey();
    const { stateToken, body } = await challenged(user);
    await expectProblem(
      await verifyWith(
        user,
        stateToken,
        approve(user.cred, body.publicKey.challenge, { flags: { be: true, bs: true } }),
      ),
      401,
      'invalid_credential',
    );
    expect(runtime.logs.join('\n')).toMatch(/passkey assertion refused.*backupEligibility/);
  });

  it('the sign counter never goes back to 0 under concurrency', async () => {
    const user = await withPasskey();
    const [a, b] = [await challenged(user), await challenged(user)];
    const high = approve(user.cred, a.body.publicKey.challenge, { counter: 5 });
    const zero = approve(user.cred, b.body.publicKey.challenge, { counter: 0 });
    const answers = await Promise.all([
      verifyWith(user, a.stateToken, high),
      verifyWith(user, b.stateToken, zero),
    ]);
    expect(answers[0]?.status).toBe(200);
    const stored = (await deps().factors.getUser('demo', user.userId))?.factors[user.factorId];
    expect(stored?.signCount).toBe(5);
    // Whatever the order, a counter below 5 is refused from now on.
    const next = await challenged(user);
    await expectProblem(
      await verifyWith(
        user,
        next.stateToken,
        approve(user.cred, next.body.publicKey.challenge, { counter: 1 }),
      ),
      401,
      'invalid_credential',
    );
  });

  it('passkey challenges spend neither the codes a transaction may send nor their cooldown', async () => {
    const user = await withPasskey();
    const phone = uniquePhone();
    const sms = await enroll(base, user.userId, { type: 'sms', phoneNumber: phone });
    const smsId = (await json(sms)).factor.id as string;
    const code = /\d{6}/.exec(
      (
        await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(phone)}`))
      ).messages.at(-1).body,
    )?.[0];
    expect(
      (
        await postJson(base, `/v1/users/${user.userId}/factors/${smsId}/activate`, {
          passCode: code,
        })
      ).status,
    ).toBe(200);
    const started = await json(await postJson(base, '/v1/authn', { userId: user.userId }));
    for (let i = 0; i < 4; i += 1) {
      expect((await challenge(base, started.stateToken, user.factorId)).status).toBe(200);
    }
    // Nothing was sent: the SMS challenge is neither over its cap nor in a cooldown.
    expect((await challenge(base, started.stateToken, smsId)).status).toBe(200);
    expect((await challenge(base, started.stateToken, user.factorId)).status).toBe(200);
    await expectProblem(
      await challenge(base, started.stateToken, user.factorId),
      429,
      'too_many_challenges',
    );
  });
});
