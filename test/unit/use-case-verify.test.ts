import { describe, expect, it } from 'vitest';
import { hashStateToken } from '../../shared/domain/state-token.js';
import { DAY_SECONDS } from '../../shared/domain/time.js';
import { TOTP_PERIOD_SECONDS, totpCandidates, totpCode } from '../../shared/domain/totp.js';
import {
  CLIENT,
  challenge,
  codeOf,
  nextRequest,
  refused,
  type Step,
  start,
  TOTP_SECRET,
  type UseCaseHarness,
  useCaseDeps,
  verify,
  wrong,
} from '../support/use-case-deps.js';

/**
 * Verify on the in-memory store: reserve (one write counts the attempt and the factor
 * failure), compare, settle. Each refusal is asserted by its exact code, and what was stored.
 */
const txnOf = (h: UseCaseHarness, userId: string, step: Step) =>
  h.stores.user(CLIENT, userId)?.txns?.[step.stateTokenHash];
const factorOf = (h: UseCaseHarness, userId: string, factorId: string) =>
  h.stores.user(CLIENT, userId)?.factors[factorId];
/** The TOTP code of the current step, and one that no step around now has. */
const totpNow = (h: UseCaseHarness) =>
  totpCode(TOTP_SECRET, Math.floor(h.now() / TOTP_PERIOD_SECONDS));
const totpWrong = (h: UseCaseHarness) => {
  const near = new Set(totpCandidates(TOTP_SECRET, h.now()).map((c) => c.code));
  let code = 0;
  while (near.has(String(code).padStart(6, '0'))) code += 1;
  return String(code).padStart(6, '0');
};

describe('verify: attempts per transaction', () => {
  it('answers 401 invalid_passcode with the attempts left, then 403 locked_out: the transaction ends', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('alice', 'email');
    const s = await start(h, 'alice');
    const code = codeOf(await challenge(h, s, f.factorId));
    for (const attemptsRemaining of [4, 3, 2, 1]) {
      const error = await refused(verify(h, s, f.factorId, wrong(code)), 401, 'invalid_passcode');
      expect(error.extras).toEqual({ attemptsRemaining });
    }
    await refused(verify(h, s, f.factorId, wrong(code)), 403, 'locked_out');
    expect(txnOf(h, 'alice', s)).toMatchObject({ status: 'LOCKED_OUT', attempts: 5 });

    // The right code now: refused from the item the reservation saw, nothing counted, no read.
    h.stores.calls.length = 0;
    await refused(verify(h, s, f.factorId, code), 403, 'locked_out');
    expect(h.stores.calls).toEqual(['transactions.reserveAttempt']);
    expect(txnOf(h, 'alice', s)?.attempts).toBe(5);
    expect(factorOf(h, 'alice', f.factorId)?.failures).toBe(5);
    const failed = h.events.filter((e) => e.type === 'mfa.authn.failed');
    expect(failed.map((e) => [e.detail.code, e.detail.attemptsRemaining])).toEqual([
      ['invalid_passcode', 4],
      ['invalid_passcode', 3],
      ['invalid_passcode', 2],
      ['invalid_passcode', 1],
      ['locked_out', 0],
    ]);
  });

  it('needs a live challenge of that factor (409), and a code not yet expired (410)', async () => {
    const h = useCaseDeps({ STATE_TOKEN_TTL_SECONDS: '600', OTP_TTL_SECONDS: '60' });
    const f = await h.seedFactor('carol', 'email');
    const s = await start(h, 'carol');
    await refused(verify(h, s, f.factorId, '123456'), 409, 'invalid_state');
    const code = codeOf(await challenge(h, s, f.factorId));
    h.advance(60);
    await refused(verify(h, s, f.factorId, code), 410, 'expired');
    expect(txnOf(h, 'carol', s)?.attempts).toBeUndefined();
    expect(h.stores.calls.filter((c) => c.startsWith('transactions.get'))).toEqual([]);
  });

  it('an expired transaction is 410, an unknown state token 404, a factor it lacks 404', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('dave', 'email');
    const s = await start(h, 'dave');
    const code = codeOf(await challenge(h, s, f.factorId));
    const later = await h.seedFactor('dave', 'totp'); // active after the start
    await refused(verify(h, s, later.factorId, totpNow(h)), 404, 'not_found');
    const unknown = { ...s, stateTokenHash: hashStateToken('never issued') };
    await refused(verify(h, unknown, f.factorId, code), 404, 'not_found');
    h.advance(300);
    await refused(verify(h, s, f.factorId, code), 410, 'expired');
    expect(txnOf(h, 'dave', s)).toMatchObject({ status: 'MFA_CHALLENGE' });
    expect(txnOf(h, 'dave', s)?.attempts).toBeUndefined();
  });
});

describe('verify: a right code is good once', () => {
  it('completes the transaction with the claims; the same code again is 409 invalid_state', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('erin', 'sms');
    const payment = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };
    const s = await start(h, 'erin', { transaction: payment, consentId: 'consent-42' });
    const code = codeOf(await challenge(h, s, f.factorId));
    h.stores.calls.length = 0;
    const done = await verify(h, s, f.factorId, code);
    expect(h.stores.calls).toEqual(['transactions.reserveAttempt', 'transactions.complete']);
    expect(done).toMatchObject({
      ok: true,
      body: { status: 'SUCCESS' },
      claims: {
        sub: 'erin',
        aud: CLIENT,
        auth_time: h.now(),
        amr: ['sms', 'otp', 'mfa'],
        consent_id: 'consent-42',
        authorization_details: [
          {
            type: 'payment_initiation',
            instructedAmount: { amount: '250.00', currency: 'EUR' },
            creditorName: 'ACME Ltd',
          },
        ],
      },
    });
    const txn = txnOf(h, 'erin', s);
    expect(txn).toMatchObject({ status: 'SUCCESS', verifiedFactorId: f.factorId, attempts: 1 });
    expect(txn?.codeMac).toBeUndefined();
    expect(factorOf(h, 'erin', f.factorId)?.failures).toBe(0);
    await refused(verify(h, s, f.factorId, code), 409, 'invalid_state');
    // Recorded on the user's chain by the completing write; the API function publishes it
    // while it signs (`signedSuccess`), so the task does not.
    expect(done.ok && done.events?.map((e) => [e.type, e.detail.seq])).toEqual([
      ['mfa.authn.succeeded', 3],
    ]);
    expect(h.eventTypes()).not.toContain('mfa.authn.succeeded');
  });

  it("TOTP: a step's code is good once across transactions (a replay is a counted wrong code)", async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('fay', 'totp');
    const code = totpNow(h);
    const first = await start(h, 'fay');
    expect(await verify(h, first, f.factorId, code)).toMatchObject({ ok: true });
    const step = Math.floor(h.now() / TOTP_PERIOD_SECONDS);
    expect(factorOf(h, 'fay', f.factorId)?.lastStep).toBe(step);
    const second = await start(h, 'fay');
    const error = await refused(verify(h, second, f.factorId, code), 401, 'invalid_passcode');
    expect(error.extras).toEqual({ attemptsRemaining: 4 });
    expect(factorOf(h, 'fay', f.factorId)?.failures).toBe(1);
    h.advance(TOTP_PERIOD_SECONDS);
    expect(await verify(h, second, f.factorId, totpNow(h))).toMatchObject({ ok: true });
    expect(factorOf(h, 'fay', f.factorId)).toMatchObject({ lastStep: step + 1, failures: 0 });
  });
});

describe('verify: the factor locks after 10 failures in a row', () => {
  /** `n` wrong codes in fresh transactions of at most 4 each (no transaction ends). */
  const failures = async (h: UseCaseHarness, userId: string, factorId: string, n: number) => {
    let s = await start(h, userId);
    for (let i = 0; i < n; i += 1) {
      if (i > 0 && i % 4 === 0) s = await start(h, userId);
      await refused(verify(h, s, factorId, totpWrong(h)), 401, 'invalid_passcode');
    }
    return s;
  };

  it('locks at the 10th, across transactions, for 15 min; the next lock lasts 30', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('gus', 'totp');
    const s = await failures(h, 'gus', f.factorId, 10);
    const t0 = h.now();
    expect(factorOf(h, 'gus', f.factorId)).toMatchObject({
      failures: 0,
      lockedUntil: t0 + 900,
      lockCount: 1,
      lockCountUntil: t0 + 900 + DAY_SECONDS,
    });
    expect(h.events.find((e) => e.type === 'mfa.factor.locked')?.detail).toMatchObject({
      lockedUntil: t0 + 900,
      lockCount: 1,
    });

    // Locked: the right code from another request is 403, refused from what the write saw.
    h.stores.calls.length = 0;
    await refused(verify(h, s, f.factorId, totpNow(h)), 403, 'locked_out');
    expect(h.stores.calls).toEqual(['transactions.reserveAttempt']);
    await refused(challenge(h, s, f.factorId), 403, 'locked_out');

    h.advance(900);
    await failures(h, 'gus', f.factorId, 10);
    expect(factorOf(h, 'gus', f.factorId)).toMatchObject({
      lockedUntil: h.now() + 1800,
      lockCount: 2,
    });
    const locks = h.events.filter((e) => e.type === 'mfa.factor.locked');
    expect(locks.map((e) => e.detail.lockCount)).toEqual([1, 2]);
  });

  it('a right code from the request that took the last failure lifts the lock it set', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('hal', 'totp', { failures: 9 });
    const s = await start(h, 'hal');
    const requestId = nextRequest();
    expect(await verify(h, s, f.factorId, totpNow(h), requestId)).toMatchObject({ ok: true });
    const factor = factorOf(h, 'hal', f.factorId);
    expect(factor).toMatchObject({ failures: 0, lockCount: 0 });
    expect([factor?.lockedUntil, factor?.lockOwner]).toEqual([undefined, undefined]);
    expect(h.eventTypes()).not.toContain('mfa.factor.locked');
  });
});
