import { describe, expect, it } from 'vitest';
import type { TaskDeps } from '../../shared/flow-task.js';
import { keys } from '../../shared/table.js';
import {
  cancelTransaction,
  transactionStatus,
} from '../../shared/use-cases/authn-cancel-status.js';
import { itemId } from '../support/memory-user-store.js';
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
  wrong,
} from '../support/use-case-deps.js';

/**
 * Start, cancel and status on the in-memory store: one read and one conditional write per
 * start (the cap of open transactions exact, finished ones pruned in the same write).
 */
const txns = (h: UseCaseHarness, userId: string) => h.stores.user(CLIENT, userId)?.txns ?? {};
const cancel = (h: UseCaseHarness, step: Step) =>
  cancelTransaction({ ...step, operation: 'cancel' }, h.deps);
const status = (h: UseCaseHarness, step: Step) =>
  transactionStatus({ ...step, operation: 'status' }, h.deps);

describe('start', () => {
  it('MFA_ENROLL for an unknown user and for one without an active factor; only the chain stored', async () => {
    const h = useCaseDeps();
    const nobody = await start(h, 'nobody');
    expect(nobody.outcome).toEqual({
      ok: true,
      body: { status: 'MFA_ENROLL', transactionId: expect.any(String), factors: [] },
    });
    // The user's audit chain, folded into its head: no factor, no transaction.
    expect(h.stores.user(CLIENT, 'nobody')).toEqual({
      clientId: CLIENT,
      factors: {},
      byDestination: {},
      auditSeq: 1,
      auditHash: h.events[0]?.detail.hash,
      auditLog: [],
    });
    await h.seedFactor('pending', 'email', { status: 'PENDING_ACTIVATION' });
    expect((await start(h, 'pending')).outcome).toMatchObject({ body: { status: 'MFA_ENROLL' } });
    expect(txns(h, 'pending')).toEqual({});
    expect(h.events.map((e) => e.detail.status)).toEqual(['MFA_ENROLL', 'MFA_ENROLL']);
  });

  it('MFA_REQUIRED with the active factors, oldest first: one read, one write', async () => {
    const h = useCaseDeps();
    const email = await h.seedFactor('alice', 'email');
    h.advance(1);
    const totp = await h.seedFactor('alice', 'totp');
    h.stores.calls.length = 0;
    const payment = { amount: '9.99', currency: 'GBP', payee: 'Cats Ltd' };
    const s = await start(h, 'alice', { transaction: payment, consentId: 'c-1' });
    expect(h.stores.calls).toEqual(['factors.getUser', 'transactions.create']);
    expect(s.outcome).toMatchObject({
      body: { status: 'MFA_REQUIRED', factors: [{ id: email.factorId }, { id: totp.factorId }] },
    });
    expect(txns(h, 'alice')[s.stateTokenHash]).toEqual({
      transactionId: expect.any(String),
      status: 'MFA_REQUIRED',
      createdAt: new Date((T0 + 1) * 1000).toISOString(),
      expiresAt: new Date((T0 + 301) * 1000).toISOString(),
      expiresAtEpoch: T0 + 301,
      transaction: payment,
      consentId: 'c-1',
      factors: { [email.factorId]: 'email', [totp.factorId]: 'totp' },
      pruneAfter: T0 + 601,
    });
  });

  it('at most 20 open transactions (429 until the oldest can go); finished ones make room', async () => {
    const h = useCaseDeps();
    await h.seedFactor('bob', 'email');
    const first = await start(h, 'bob');
    for (let i = 1; i < 20; i += 1) await start(h, 'bob');
    h.advance(100);
    const full = await refused(start(h, 'bob'), 429, 'rate_limited');
    expect(full.headers).toEqual({ 'retry-after': '500' });
    expect(Object.keys(txns(h, 'bob'))).toHaveLength(20);

    await cancel(h, first);
    const next = await start(h, 'bob'); // removes the cancelled one in the same write
    expect(Object.keys(txns(h, 'bob'))).toHaveLength(20);
    expect(txns(h, 'bob')[first.stateTokenHash]).toBeUndefined();
    expect(txns(h, 'bob')[next.stateTokenHash]?.status).toBe('MFA_REQUIRED');

    h.advance(600); // past every retention: the next start removes them all
    const last = await start(h, 'bob');
    expect(Object.keys(txns(h, 'bob'))).toEqual([last.stateTokenHash]);
  });

  it('an item of an older version gets its map of transactions first', async () => {
    const h = useCaseDeps();
    await h.seedFactor('carl', 'email');
    delete h.stores.users.get(itemId(keys.userFactors(CLIENT, 'carl')))?.txns;
    h.stores.calls.length = 0;
    const s = await start(h, 'carl');
    expect(h.stores.calls).toEqual([
      'factors.getUser',
      'transactions.prepare',
      'transactions.create',
    ]);
    expect(Object.keys(txns(h, 'carl'))).toEqual([s.stateTokenHash]);
  });

  it('a start racing another that pruned first adds without pruning: no second read', async () => {
    const h = useCaseDeps();
    await h.seedFactor('dana', 'email');
    const finished = await start(h, 'dana');
    await cancel(h, finished);
    let raced = false;
    const racing: TaskDeps = {
      ...h.deps,
      transactions: {
        ...h.stores.transactions,
        create: async (ref, record, args) => {
          if (!raced) {
            raced = true;
            await start(h, 'dana'); // the other start removes the finished one first
          }
          return h.stores.transactions.create(ref, record, args);
        },
      },
    };
    h.stores.calls.length = 0;
    const s = await start(h, 'dana', {}, racing);
    expect(s.outcome).toMatchObject({ ok: true, body: { status: 'MFA_REQUIRED' } });
    expect(h.stores.calls.filter((call) => call === 'factors.getUser')).toHaveLength(2); // one each
    expect(Object.keys(txns(h, 'dana'))).toHaveLength(2);
    expect(txns(h, 'dana')[finished.stateTokenHash]).toBeUndefined();
  });
});

describe('cancel and status', () => {
  it('cancels a live transaction once: then 409 invalid_state; expired 410; unknown 404', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('erin', 'email');
    const s = await start(h, 'erin');
    await challenge(h, s, f.factorId);
    expect(await cancel(h, s)).toEqual({ ok: true, body: { status: 'CANCELLED' } });
    const stored = txns(h, 'erin')[s.stateTokenHash];
    expect([stored?.status, stored?.codeMac]).toEqual(['CANCELLED', undefined]);
    await refused(cancel(h, s), 409, 'invalid_state');
    const other = await start(h, 'erin');
    await refused(cancel(h, { ...other, stateTokenHash: 'f'.repeat(64) }), 404, 'not_found');
    h.advance(300);
    await refused(cancel(h, other), 410, 'expired');
    expect(h.eventTypes().filter((t) => t === 'mfa.authn.cancelled')).toHaveLength(1);
  });

  it('status: attempts left while it can be verified, EXPIRED past its expiry, 404 unknown', async () => {
    const h = useCaseDeps();
    const f = await h.seedFactor('finn', 'email');
    const s = await start(h, 'finn');
    const { transactionId } = txns(h, 'finn')[s.stateTokenHash] ?? {};
    const expiresAt = new Date((T0 + 300) * 1000).toISOString();
    expect(await status(h, s)).toEqual({
      ok: true,
      body: { status: 'MFA_REQUIRED', transactionId, expiresAt },
    });
    const code = codeOf(await challenge(h, s, f.factorId));
    await refused(verify(h, s, f.factorId, wrong(code)), 401, 'invalid_passcode');
    expect(await status(h, s)).toMatchObject({
      body: { status: 'MFA_CHALLENGE', attemptsRemaining: 4 },
    });
    h.advance(300);
    expect(await status(h, s)).toEqual({
      ok: true,
      body: { status: 'EXPIRED', transactionId, expiresAt },
    });
    await refused(status(h, { ...s, stateTokenHash: 'f'.repeat(64) }), 404, 'not_found');
  });
});
