import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  challenge,
  claimsOf,
  enroll,
  expectProblem,
  json,
  startAuthn,
  unique,
  verify,
} from '../support/flows.js';
import { basicAuth, startTestRuntime } from '../support/local.js';

/** PIN, the knowledge factor (API.md v1.1 "PIN"). */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
const PIN = 'blue-horse 58';

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

const withPin = async (pin = PIN) => {
  const userId = unique('pin');
  const enrolled = await enroll(base, userId, { type: 'pin', pin });
  expect(enrolled.status).toBe(201);
  return { userId, factor: (await json(enrolled)).factor };
};

describe('PIN factors', () => {
  it.each([
    ['5 characters', '12a45'],
    ['one digit repeated', '000000'],
    ['a run up', '123456'],
    ['a run down', '654321'],
    ['a short pattern repeated', '121212'],
    ['a common PIN', '159753'],
    ['65 characters', 'x'.repeat(65)],
    ['Arabic-Indic digits', '\u0661\u0662\u0663\u0664\u0665\u0666'],
    ['fullwidth digits of a run (NFKC: 123456)', '\uff11\uff12\uff13\uff14\uff15\uff16'],
    ['only spaces', '      '],
    ['zero-width spaces', '\u200b'.repeat(6)],
    ['Hangul fillers', '\u3164'.repeat(6)],
    ['a trailing space', '583920 '],
    ['a wrapping run', '1234567890'],
    ['a keypad walk', '741852'],
    ['a letter repeated', 'aaaaaa'],
    ['a unit repeated', '12341234'],
    ['a common password', 'Password'],
    ['lone surrogates', '\ud800'.repeat(6)],
  ])('%s → 400 weak_pin', async (_name, pin) => {
    await expectProblem(await enroll(base, unique('weak'), { type: 'pin', pin }), 400, 'weak_pin');
  });

  it('enrolls ACTIVE at once, with an empty profile; never shows the PIN', async () => {
    const userId = unique('pin');
    const enrolled = await enroll(base, userId, { type: 'pin', pin: '583920' });
    expect(enrolled.status).toBe(201);
    const body = await json(enrolled);
    expect(body.factor).toMatchObject({ type: 'pin', status: 'ACTIVE', profile: {} });
    expect(body.factor.id).toMatch(/^pin_/);
    expect(JSON.stringify(body)).not.toContain('583920');
    const listed = await json(
      await fetch(`${base}/v1/users/${userId}/factors`, {
        headers: { authorization: basicAuth() },
      }),
    );
    expect(listed.factors.map((f: { status: string }) => f.status)).toEqual(['ACTIVE']);
  });

  it('verifies without a code being sent: knowledge alone is mfa; with a possession sign-in, sca', async () => {
    const { userId, factor } = await withPin();
    const alone = await startAuthn(base, { userId });
    expect(alone.factors.map((f: { id: string }) => f.id)).toEqual([factor.id]);
    // A challenge is a no-op, as for TOTP.
    expect((await challenge(base, alone.stateToken, factor.id)).status).toBe(200);
    const wrong = await expectProblem(
      await verify(base, alone.stateToken, factor.id, 'not my pin'),
      401,
      'invalid_passcode',
    );
    expect(wrong.attemptsRemaining).toBe(4);
    const right = await verify(base, alone.stateToken, factor.id, PIN);
    expect(right.status).toBe(200);
    expect(claimsOf((await json(right)).token)).toMatchObject({ acr: 'mfa', amr: ['pin', 'mfa'] });

    const strong = await startAuthn(base, { userId, context: { primaryAuth: 'possession' } });
    const verified = await json(await verify(base, strong.stateToken, factor.id, PIN));
    expect(claimsOf(verified.token).acr).toBe('sca');
    const payments = await fetch(`${base}/demo/payments`, {
      headers: { authorization: `Bearer ${verified.token}` },
    });
    expect(payments.status).toBe(200);
  });

  it('the same PIN typed decomposed (NFC) is the same PIN', async () => {
    const { userId, factor } = await withPin('Müller-2580');
    const started = await startAuthn(base, { userId });
    const answer = await verify(base, started.stateToken, factor.id, 'Mu\u0308ller-2580');
    expect(answer.status).toBe(200);
  });

  it('locks after 5 wrong PINs in a row, across transactions: then even the right PIN is 403', async () => {
    const { userId, factor } = await withPin();
    for (const wrongs of [3, 2]) {
      const { stateToken } = await startAuthn(base, { userId });
      for (let i = 0; i < wrongs; i += 1) await verify(base, stateToken, factor.id, `wrong ${i}`);
    }
    const locked = runtime.events
      .list({ type: 'mfa.factor.locked' })
      .filter((event) => event.detail.factorId === factor.id);
    expect(locked).toHaveLength(1);
    const { stateToken } = await startAuthn(base, { userId });
    await expectProblem(await verify(base, stateToken, factor.id, PIN), 403, 'locked_out');
  });

  it('a pass code that cannot be a PIN → 400 invalid_request (each kind checks its own form)', async () => {
    const { userId, factor } = await withPin();
    const { stateToken } = await startAuthn(base, { userId });
    await expectProblem(
      await verify(base, stateToken, factor.id, 'x'.repeat(65)),
      400,
      'invalid_request',
    );
    await expectProblem(await verify(base, stateToken, factor.id, 'a\nb'), 400, 'invalid_request');
  });

  it('one PIN per user: a second → 409 factor_exists; the answer has no activation', async () => {
    const { userId } = await withPin();
    const again = await enroll(base, userId, { type: 'pin', pin: '583920' });
    await expectProblem(again, 409, 'factor_exists');
    const first = await json(await enroll(base, unique('pin'), { type: 'pin', pin: '583920' }));
    expect(first).not.toHaveProperty('activation');
  });

  it('in a burst over parallel transactions, the right PIN answers like the wrong ones', async () => {
    const { userId, factor } = await withPin();
    const tokens = await Promise.all(
      [0, 1, 2, 3, 4].map(async () => (await startAuthn(base, { userId })).stateToken as string),
    );
    const answers = await Promise.all(
      tokens.map((token, i) => verify(base, token, factor.id, i === 2 ? PIN : `wrong-${i}x`)),
    );
    const codes = await Promise.all(
      answers.map(async (a) => `${a.status} ${(await json(a)).code ?? ''}`),
    );
    // Either the right PIN got in before the lock (200), or it answers as a wrong one (401).
    expect(['200 ', '401 invalid_passcode']).toContain(codes[2]);
    expect(codes.filter((c) => c.startsWith('403'))).toHaveLength(0);
  });

  it('the PIN appears in no log line and no event', () => {
    const seen = JSON.stringify(runtime.logs) + JSON.stringify(runtime.events.list());
    expect(seen).not.toContain(PIN);
    expect(seen).not.toContain('583920');
  });
});
