import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  enroll,
  expectProblem,
  json,
  startAuthn,
  testClock,
  unique,
  verify,
} from '../support/flows.js';
import { basicAuth, startTestRuntime } from '../support/local.js';

/**
 * ECDSA malleability (issue 11 item 7): (r, n − s) is as valid as (r, s), so anyone holding a
 * token can make a second string for it. The service must sign only the low-S form and every
 * verifier, over HTTP, must refuse the other one.
 */

/** Tokens drawn from the service: each high-S with probability ½ unless the signer normalises. */
const TOKENS = 40;
/** The P-256 order n, written here independently of the code under test. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const signatureOf = (token: string) => Buffer.from(token.split('.')[2] ?? '', 'base64url');
const sOf = (token: string) => BigInt(`0x${signatureOf(token).subarray(32).toString('hex')}`);
/** The token's twin: same header and claims, signature (r, n − s), computed without the key. */
const twinOf = (token: string) => {
  const s = Buffer.from((N - sOf(token)).toString(16).padStart(64, '0'), 'hex');
  const signature = Buffer.concat([signatureOf(token).subarray(0, 32), s]);
  return `${token.slice(0, token.lastIndexOf('.'))}.${signature.toString('base64url')}`;
};

const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
let issued: Array<{ userId: string; token: string }>;

const totpCode = (secret: string, offsetSteps = 0) =>
  generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + offsetSteps * 30 });

/** A new user with an active TOTP factor, and their MFA token from a full flow (no outbox). */
const userWithToken = async () => {
  const userId = unique('twin');
  const enrolled = await enroll(base, userId, { type: 'totp' });
  expect(enrolled.status).toBe(201);
  const { factor, activation } = await json(enrolled);
  // A TOTP step counts only once: the current step activates, the next one verifies. Both
  // stay within the accepted ±1 step even if a 30 s boundary passes between code and request.
  const activated = await activate(base, userId, factor.id, totpCode(activation.secret));
  expect(activated.status).toBe(200);
  const { stateToken } = await startAuthn(base, { userId });
  const verified = await verify(base, stateToken, factor.id, totpCode(activation.secret, 1));
  expect(verified.status).toBe(200);
  return { userId, token: (await json(verified)).token as string };
};

beforeAll(async () => {
  runtime = await startTestRuntime({ clock, env: { FACTOR_CHANGE_MAX_AGE_SECONDS: '300' } });
  base = runtime.url;
  issued = [];
  // A few flows at a time: 40 at once would only queue on the shared CPUs.
  while (issued.length < TOKENS) {
    issued.push(...(await Promise.all(Array.from({ length: 8 }, userWithToken))));
  }
});
afterAll(async () => {
  await runtime?.close();
});

const dogs = (token: string) =>
  fetch(`${base}/demo/dogs`, { headers: { authorization: `Bearer ${token}` } });

describe('ECDSA signature malleability over HTTP', () => {
  it(`signs every token in low-S form (${TOKENS} of ${TOKENS} full flows)`, () => {
    expect(issued.length).toBeGreaterThanOrEqual(TOKENS);
    const high = issued.filter(({ token }) => sOf(token) > N / 2n);
    expect(high.map(({ token }) => token.slice(-12))).toEqual([]);
  });

  it('the authorizer accepts a token, refuses its (r, n − s) twin: 401 invalid_token', async () => {
    const { token } = issued[0] ?? { token: '' };
    const twin = twinOf(token);
    // The twin is a valid ECDSA signature by the published key: only the low-S rule refuses it.
    const { keys } = await json(await fetch(`${base}/.well-known/jwks.json`));
    const key = createPublicKey({ key: keys[0], format: 'jwk' });
    const signed = Buffer.from(twin.slice(0, twin.lastIndexOf('.')));
    const p1363 = { key, dsaEncoding: 'ieee-p1363' as const };
    expect(cryptoVerify('sha256', signed, p1363, signatureOf(twin))).toBe(true);

    expect((await dogs(token)).status).toBe(200);
    const refused = await dogs(twin);
    await expectProblem(refused, 401, 'invalid_token');
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('the 4 unused bits of the last signature character: only the canonical spelling passes', async () => {
    const { token } = issued[2] ?? { token: '' };
    const last = token.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = alphabet.indexOf(last);
    // Same top 2 bits, other low bits: decodes to the very same 64 bytes.
    const spellings = Array.from(
      { length: 15 },
      (_, i) => alphabet[(index & 0b110000) | ((i + 1 + (index & 15)) % 16)],
    );
    for (const other of spellings) {
      const respelled = `${token.slice(0, -1)}${other}`;
      expect(signatureOf(respelled)).toEqual(signatureOf(token));
      const refused = await dogs(respelled);
      await expectProblem(refused, 401, 'invalid_token');
    }
    expect((await dogs(token)).status).toBe(200);
  });

  it('a factor change refuses the twin in X-MFA-Token: 401 invalid_token', async () => {
    const { userId, token } = issued[1] ?? { userId: '', token: '' };
    const addEmail = (mfaToken: string) =>
      fetch(`${base}/v1/users/${encodeURIComponent(userId)}/factors`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(),
          'content-type': 'application/json',
          'x-mfa-token': mfaToken,
        },
        body: JSON.stringify({ type: 'email', email: `${userId}@example.com` }),
      });
    await expectProblem(await addEmail(twinOf(token)), 401, 'invalid_token');
    expect((await addEmail(token)).status).toBe(201);
  });
});
