import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/domain/policy/index.js';
import { claimsOf, enroll, expectProblem, json, unique, verify } from '../support/flows.js';
import { basicAuth, postJson, registerClient, startTestRuntime } from '../support/local.js';

/** Recovery codes (API.md v1.1 "Recovery codes") over HTTP. */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

const withCodes = async (auth = basicAuth()) => {
  const userId = unique('lost-phone');
  const enrolled = await enroll(base, userId, { type: 'recovery_code' }, auth);
  expect(enrolled.status).toBe(201);
  const body = await json(enrolled);
  return {
    userId,
    factorId: body.factor.id as string,
    body,
    codes: body.activation.codes as string[],
  };
};

const startFor = async (userId: string, auth = basicAuth(), extra: Record<string, unknown> = {}) =>
  json(await postJson(base, '/v1/authn', { userId, ...extra }, auth));

describe('recovery codes', () => {
  it('enroll: ACTIVE at once with 10 codes shown once; the list shows only how many remain', async () => {
    const { userId, body, codes } = await withCodes();
    expect(body.factor).toMatchObject({
      type: 'recovery_code',
      status: 'ACTIVE',
      profile: { remaining: 10 },
    });
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const listed = await json(
      await fetch(`${base}/v1/users/${userId}/factors`, {
        headers: { authorization: basicAuth() },
      }),
    );
    expect(listed.factors).toEqual([expect.objectContaining({ profile: { remaining: 10 } })]);
    expect(JSON.stringify(listed)).not.toContain(codes[0]);
    // One set per user: delete it to regenerate.
    await expectProblem(
      await enroll(base, userId, { type: 'recovery_code' }),
      409,
      'factor_exists',
    );
    // The codes never reach a log line.
    for (const code of codes) expect(runtime.logs.join('\n')).not.toContain(code);
  });

  it('a code signs in once (typed in lower case); used again it is a wrong code', async () => {
    const { userId, factorId, codes } = await withCodes();
    const code = codes[3] ?? '';
    const first = await startFor(userId);
    const done = await verify(base, first.stateToken, factorId, code.toLowerCase());
    expect(done.status).toBe(200);
    expect(claimsOf((await json(done)).token)).toMatchObject({ acr: 'mfa', amr: ['otp', 'mfa'] });
    const again = await startFor(userId);
    const reused = await expectProblem(
      await verify(base, again.stateToken, factorId, code),
      401,
      'invalid_passcode',
    );
    expect(reused.attemptsRemaining).toBe(4);
    await expectProblem(
      await verify(base, again.stateToken, factorId, '123456'),
      400,
      'invalid_request',
    );
    const listed = await json(
      await fetch(`${base}/v1/users/${userId}/factors`, {
        headers: { authorization: basicAuth() },
      }),
    );
    expect(listed.factors[0].profile).toEqual({ remaining: 9 });
  });

  it('next to only the app sign-in a code gives an mfa token, which /demo/payments refuses', async () => {
    const { userId, factorId, codes } = await withCodes();
    const started = await startFor(userId, basicAuth(), { context: { primaryAuth: 'knowledge' } });
    const done = await json(await verify(base, started.stateToken, factorId, codes[0] ?? ''));
    expect(claimsOf(done.token).acr).toBe('mfa');
    const payments = await fetch(`${base}/demo/payments`, {
      headers: { authorization: `Bearer ${done.token}` },
    });
    expect(payments.status).toBe(401);
  });

  it('where the policy asks for sca it never stands alone: a PIN must follow, then the token is sca', async () => {
    const auth = await registerClient(
      unique('bank'),
      'bank-secret-1',
      parsePolicy({ version: 1, rules: [], default: { require: 'sca' } }),
    );
    const { userId, factorId, codes } = await withCodes(auth);
    const pin = await json(await enroll(base, userId, { type: 'pin', pin: 'walnut-7741' }, auth));
    // The app says its own sign-in was a password (knowledge): with a recovery code that is
    // still not SCA.
    const started = await startFor(userId, auth, { context: { primaryAuth: 'knowledge' } });
    // The PIN can follow the code, but first it proves nothing the password did not: not
    // listed, and 409 with nothing counted (six right PINs would otherwise have ended the
    // transaction and, across transactions, locked the PIN without an event).
    expect(started.factors.map((f: { id: string }) => f.id)).toEqual([factorId]);
    for (let i = 0; i < 6; i += 1) {
      const early = await expectProblem(
        await verify(base, started.stateToken, pin.factor.id, 'walnut-7741', auth),
        409,
        'invalid_state',
      );
      expect(early.detail).toContain('proves no category the transaction still needs');
    }
    const first = await json(
      await verify(base, started.stateToken, factorId, codes[0] ?? '', auth),
    );
    expect(first).toMatchObject({ status: 'MFA_REQUIRED', requirement: { level: 'sca' } });
    expect(first.factors.map((f: { id: string }) => f.id)).toEqual([pin.factor.id]);
    const done = await verify(base, started.stateToken, pin.factor.id, 'walnut-7741', auth);
    expect(done.status).toBe(200);
    const claims = claimsOf((await json(done)).token);
    expect(claims.acr).toBe('sca');
    expect(claims.amr).toEqual(expect.arrayContaining(['otp', 'pin']));
  });
});
