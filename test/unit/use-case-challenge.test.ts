import { describe, expect, it } from 'vitest';
import { hashStateToken } from '../../shared/domain/state-token.js';
import { iso } from '../../shared/domain/time.js';
import { keys } from '../../shared/table.js';
import { cancelTransaction } from '../../shared/use-cases/authn-cancel-status.js';
import { undoFailedDelivery } from '../../shared/use-cases/authn-challenge.js';
import {
  CLIENT,
  challenge,
  codeOf,
  refused,
  type Step,
  start,
  T0,
  type UseCaseHarness,
  useCaseDeps,
  verify,
} from '../support/use-case-deps.js';

/**
 * Challenge on the in-memory store: one conditional write records the code (state, factor,
 * send cap and cooldown together), then the hourly counters; a refused counter or a failed
 * delivery gives everything back. Refusals are explained from the item the write saw.
 */
const txnOf = (h: UseCaseHarness, userId: string, step: Step) =>
  h.stores.user(CLIENT, userId)?.txns?.[step.stateTokenHash];
/** The count of every rate counter item, by key (`dest:…`, `sms:…`). */
const counts = (h: UseCaseHarness) =>
  Object.fromEntries(
    [...h.stores.counters.values()].map((item) => [String(item.pk).slice(5), item.count]),
  );

describe('challenge: one code per send, within the cooldown and the cap', () => {
  it('429 resend_too_soon with Retry-After, then 429 too_many_challenges after 3 sends', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('alice', 'email');
    const s = await start(h, 'alice');
    const first = await challenge(h, s, f.factorId);
    expect(first.outcome).toEqual({
      ok: true,
      body: {
        status: 'MFA_CHALLENGE',
        factorId: f.factorId,
        expiresAt: iso(T0 + 300),
        resendAfter: iso(T0 + 30),
      },
    });
    expect(first.delivery).toMatchObject({ channel: 'email', to: 'alice@example.com' });
    expect(first.undo?.rateKeys).toHaveLength(1);

    h.advance(10);
    h.stores.calls.length = 0;
    const tooSoon = await refused(challenge(h, s, f.factorId), 429, 'resend_too_soon');
    expect(tooSoon.headers).toEqual({ 'retry-after': '20' });
    expect(h.stores.calls).toEqual(['transactions.beginChallenge']); // no second read
    h.advance(20);
    await challenge(h, s, f.factorId);
    h.advance(30);
    const third = await challenge(h, s, f.factorId);
    h.advance(30);
    await refused(challenge(h, s, f.factorId), 429, 'too_many_challenges');
    expect(txnOf(h, 'alice', s)).toMatchObject({
      status: 'MFA_CHALLENGE',
      sends: 3,
      lastSentAt: T0 + 60,
      codeMac: third.undo?.codeMac,
    });
    expect(Object.values(counts(h))).toEqual([3]);
  });

  it('TOTP: one read checks the transaction and the factor; nothing is written or sent', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('bob', 'totp');
    const s = await start(h, 'bob');
    const before = h.stores.user(CLIENT, 'bob');
    h.stores.calls.length = 0;
    const output = await challenge(h, s, f.factorId);
    expect(output).toEqual({
      outcome: {
        ok: true,
        body: {
          status: 'MFA_CHALLENGE',
          factorId: f.factorId,
          expiresAt: iso(T0 + 300),
          resendAfter: iso(T0),
        },
      },
    });
    expect(h.stores.calls).toEqual(['transactions.get']);
    expect(h.stores.user(CLIENT, 'bob')).toEqual(before);
  });

  it('an unknown token is 404, a factor the transaction lacks 404, cancelled 409, expired 410', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('carol', 'email');
    const s = await start(h, 'carol');
    const unknown = { ...s, stateTokenHash: hashStateToken('never issued') };
    await refused(challenge(h, unknown, f.factorId), 404, 'not_found');
    const later = await h.seedFactor('carol', 'sms');
    await refused(challenge(h, s, later.factorId), 404, 'not_found');
    const cancelled = await start(h, 'carol');
    await cancelTransaction({ ...cancelled, operation: 'cancel' }, h.deps);
    await refused(challenge(h, cancelled, f.factorId), 409, 'invalid_state');
    h.advance(300);
    await refused(challenge(h, s, f.factorId), 410, 'expired');
    expect(txnOf(h, 'carol', s)?.sends).toBeUndefined();
    expect(h.stores.counters.size).toBe(0);
  });
});

describe('challenge: what a refused or failed send gives back', () => {
  it("SMS budget spent: 429 rate_limited, the transaction and the destination's count as before", async () => {
    const h = useCaseDeps({ SMS_PER_APP_PER_HOUR: '1' });
    const a = await h.seedFactor('dan', 'sms', { destination: '+447700900111' });
    const b = await h.seedFactor('eve', 'sms', { destination: '+447700900222' });
    const sa = await start(h, 'dan');
    const sb = await start(h, 'eve');
    await challenge(h, sa, a.factorId);
    const before = txnOf(h, 'eve', sb);
    const error = await refused(challenge(h, sb, b.factorId), 429, 'rate_limited');
    expect(error.headers).toEqual({ 'retry-after': '3600' });
    // No send counted, no code, no cooldown left behind.
    const after = txnOf(h, 'eve', sb);
    expect(after).toMatchObject({ status: 'MFA_REQUIRED', sends: 0 });
    expect([after?.codeMac, after?.codeExpiresAt, after?.lastSentAt]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(Object.values(counts(h)).sort()).toEqual([0, 1, 1]); // eve's destination given back
    expect(counts(h)[`sms:${CLIENT}`]).toBe(1);
    const budget = h.events.find((e) => e.type === 'mfa.sms.budget_exceeded');
    expect(budget?.detail).toMatchObject({
      factorId: b.factorId,
      factorType: 'sms',
      transactionId: before?.transactionId,
      limit: 1,
    });
    expect(h.lines.some((line) => line.includes('sms budget exceeded'))).toBe(true);

    // The next clock hour has a new budget.
    h.advance(3600);
    const next = await start(h, 'eve');
    expect((await challenge(h, next, b.factorId)).delivery?.to).toBe('+447700900222');
  });

  it('a failed delivery is taken back: 503, the code before works again, the counters return', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('fay', 'email');
    const s = await start(h, 'fay');
    const code = codeOf(await challenge(h, s, f.factorId));
    h.advance(30);
    const second = await challenge(h, s, f.factorId);
    const { undo } = second;
    if (!undo) throw new Error('an email challenge has an undo');
    await refused(undoFailedDelivery(undo, h.deps), 503, 'delivery_failed');
    expect(txnOf(h, 'fay', s)).toMatchObject({
      status: 'MFA_CHALLENGE',
      sends: 1,
      lastSentAt: T0,
      challengeFactorId: f.factorId,
      codeMac: undo.previous.codeMac,
    });
    const [rateKey] = undo.rateKeys;
    expect(h.stores.item(keys.rate(rateKey ?? '', T0))?.count).toBe(1);
    expect(h.eventTypes().filter((t) => t.startsWith('mfa.challenge'))).toEqual([
      'mfa.challenge.sent',
      'mfa.challenge.sent',
      'mfa.challenge.failed',
    ]);
    // Taken back twice (a retried Catch): the code is no longer this send's, nothing moves.
    await refused(undoFailedDelivery(undo, h.deps), 503, 'delivery_failed');
    expect(txnOf(h, 'fay', s)?.sends).toBe(1);
    // ...and the counters are not given back a second time (the first send still counts).
    expect(h.stores.item(keys.rate(rateKey ?? '', T0))?.count).toBe(1);
    expect(await verify(h, s, f.factorId, code)).toMatchObject({ ok: true });
  });
});
