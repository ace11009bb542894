import { describe, expect, it } from 'vitest';
import { userRef } from '../../shared/domain/state-token.js';
import {
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from '../../shared/factors/recovery-code/codes.js';
import { recoveryCodeMac } from '../../shared/factors/recovery-code/kind.js';
import type { StartInput, VerifyInput } from '../../shared/flow.js';
import { cryptoRandom } from '../../shared/ports/random.js';
import { verifyCode } from '../../shared/use-cases/authn-verify.js';
import { enrollFactor } from '../../shared/use-cases/factor-enroll.js';
import {
  CLIENT,
  nextRequest,
  OTP_KEY,
  refused,
  type Step,
  start,
  type UseCaseHarness,
  useCaseDeps,
} from '../support/use-case-deps.js';

/** Recovery codes (API.md "Recovery codes"): the codes, their single use, their level. */
describe('recovery code form', () => {
  it('is XXXX-XXXX-XXXX of Crockford base32: 60 bits', () => {
    const codes = Array.from({ length: 200 }, () => newRecoveryCode(cryptoRandom));
    for (const code of codes)
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('reads case, spaces, hyphens and O/I/L as the user may type them', () => {
    expect(normalizeRecoveryCode('abcd-efgh-jkmn')).toBe('ABCDEFGHJKMN');
    expect(normalizeRecoveryCode(' ABCD EFGH JKMN ')).toBe('ABCDEFGHJKMN');
    expect(normalizeRecoveryCode('0OIL-0000-0000')).toBe('001100000000');
    for (const bad of [
      'ABCD-EFGH-JKM',
      'ABCD-EFGH-JKMNP',
      'ABCD-EFGH-JKMU',
      '',
      '123456',
      'ABCD\u00a0EFGH\u00a0JKMN',
      'ABCD\nEFGH-JKMN',
      'ABCD-EFGH-JKMı',
    ]) {
      expect(normalizeRecoveryCode(bad), bad).toBeUndefined();
    }
  });
});

/** Enrolls a user's recovery codes through the use case; returns the factor and the codes. */
const enrollCodes = async (h: UseCaseHarness, userId: string) => {
  const { status, body } = await enrollFactor(h.deps, {
    clientId: CLIENT,
    userId,
    body: { type: 'recovery_code' },
  });
  expect(status).toBe(201);
  const { factor, activation } = body as {
    factor: { id: string; status: string; profile: { remaining: number } };
    activation: { codes: string[] };
  };
  return { factor, codes: activation.codes };
};

/** Verify with a recovery code as the verify handler passes it (the kind's MAC). */
const verifyWith = (h: UseCaseHarness, step: Step, factorId: string, code: string) => {
  const requestId = nextRequest();
  const input: VerifyInput = {
    ...step,
    requestId,
    operation: 'verify',
    factorId,
    passCodeMac: recoveryCodeMac(OTP_KEY, { ...step, factorId }, code) as string,
  };
  return verifyCode(input, h.as(requestId));
};

describe('recovery codes', () => {
  it('enroll shows 10 distinct codes once, ACTIVE, stored only as MACs; a second set is 409', async () => {
    const h = useCaseDeps();
    const { factor, codes } = await enrollCodes(h, 'ann');
    expect(factor).toMatchObject({ status: 'ACTIVE', profile: { remaining: 10 } });
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    const stored = JSON.stringify(h.stores.user(CLIENT, 'ann'));
    for (const code of codes) expect(stored).not.toContain(code);
    await refused(
      enrollFactor(h.deps, { clientId: CLIENT, userId: 'ann', body: { type: 'recovery_code' } }),
      409,
      'factor_exists',
    );
  });

  it('each code works once: a used one is a wrong code; remaining counts down', async () => {
    const h = useCaseDeps();
    const { factor, codes } = await enrollCodes(h, 'ben');
    const [first = '', second = ''] = codes;
    const s1 = await start(h, 'ben');
    const done = await verifyWith(h, s1, factor.id, first.toLowerCase());
    expect(done).toMatchObject({ ok: true, claims: { acr: 'mfa', amr: ['otp', 'mfa'] } });
    const s2 = await start(h, 'ben');
    await refused(verifyWith(h, s2, factor.id, first), 401, 'invalid_passcode');
    expect((await verifyWith(h, s2, factor.id, second)).ok).toBe(true);
    const stored = h.stores.user(CLIENT, 'ben')?.factors[factor.id];
    expect(Object.keys(stored?.recoveryCodes ?? {})).toHaveLength(8);
  });

  it('one code used by many transactions at once: exactly one succeeds', async () => {
    const h = useCaseDeps();
    const { factor, codes } = await enrollCodes(h, 'cat');
    const steps = [];
    for (let i = 0; i < 8; i++) steps.push(await start(h, 'cat'));
    const results = await Promise.allSettled(
      steps.map((step) => verifyWith(h, step, factor.id, codes[0] ?? '')),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('next to only the app sign-in, its token says mfa even where mfa was asked', async () => {
    const h = useCaseDeps();
    const { factor, codes } = await enrollCodes(h, 'eve');
    for (const primaryAuth of ['knowledge', 'inherence'] as const) {
      const s = await start(h, 'eve', { context: { primaryAuth } });
      const done = await verifyWith(
        h,
        s,
        factor.id,
        codes[primaryAuth === 'knowledge' ? 0 : 1] ?? '',
      );
      expect(done).toMatchObject({ ok: true, claims: { acr: 'mfa' } });
    }
  });

  it('never meets sca next to the app sign-in only: a second factor must', async () => {
    const h = useCaseDeps();
    const { factor, codes } = await enrollCodes(h, 'dan');
    const sms = await h.seedFactor('dan', 'sms');
    const sca: Partial<StartInput> = {
      policy: { version: 1, rules: [], default: { require: 'sca' } },
      context: { primaryAuth: 'knowledge' },
    };
    // SMS and codes only: no factor could follow a code, so none is spent (not offered: 404).
    const alone = await start(h, 'dan', sca);
    await refused(verifyWith(h, alone, factor.id, codes[0] ?? ''), 404, 'not_found');
    const pin = await h.seedFactor('dan', 'pin', { destination: undefined });
    const s = await start(h, 'dan', sca);
    const first = await verifyWith(h, s, factor.id, codes[0] ?? '');
    expect(first).toMatchObject({
      ok: true,
      body: {
        status: 'MFA_REQUIRED',
        requirement: { level: 'sca', categories: ['knowledge', 'inherence'] },
      },
    });
    // The SMS proves possession again: no help; the PIN finishes it.
    expect(first.ok && (first.body.factors as { id: string }[]).map((f) => f.id)).toEqual([
      pin.factorId,
    ]);
    expect(sms.factorId).toBeDefined();
    expect(userRef('dan')).toBe(s.userRef);
  });
});
