import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredFactor, UserFactors } from '../../shared/domain/entities.js';
import {
  hashStateToken,
  newStateToken,
  parseStateToken,
  userRef,
} from '../../shared/domain/state-token.js';
import { decideStart, secondsUntilPrunable } from '../../shared/domain/transaction.js';
import type { StartInput } from '../../shared/flow.js';

const now = new Date('2026-03-01T10:00:00Z');
const input: StartInput = {
  operation: 'start',
  requestId: 'r1',
  clientId: 'app',
  stateTokenHash: 'h'.repeat(64),
  userId: 'u1',
  transaction: { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' },
  consentId: 'consent-42',
};
const factor = (status: StoredFactor['status']): StoredFactor => ({
  factorId: `f-${status}`,
  type: 'sms',
  status,
  createdAt: '2026-01-01T00:00:00.000Z',
  destination: '+447700900123',
  failures: 0,
});
const userWith = (...factors: StoredFactor[]): UserFactors => ({
  clientId: 'app',
  userId: 'u1',
  factors: Object.fromEntries(factors.map((f) => [f.factorId, f])),
  byDestination: {},
});

const start = (user: UserFactors | undefined, ttl = 300, at = now) =>
  decideStart({
    input,
    user,
    transactionId: 't1',
    now: at,
    stateTokenTtlSeconds: ttl,
    retentionSeconds: RETENTION,
    categoriesOf: () => ['possession'],
  });
const RETENTION = 300;

describe('starting a transaction', () => {
  it('asks an unknown user, and a user with only pending factors, to enroll: same shape, nothing stored', () => {
    const unknown = start(undefined);
    const pending = start(userWith(factor('PENDING_ACTIVATION')));
    expect(unknown).toEqual({ status: 'MFA_ENROLL' });
    expect(pending).toEqual(unknown);
  });

  it('records the transaction with its expiry from the injected clock and TTL', () => {
    const decision = start(userWith(factor('ACTIVE')), 120);
    if (decision.status !== 'MFA_REQUIRED') throw new Error('expected MFA_REQUIRED');
    expect(decision.record).toEqual({
      transactionId: 't1',
      status: 'MFA_REQUIRED',
      createdAt: '2026-03-01T10:00:00.000Z',
      expiresAt: '2026-03-01T10:02:00.000Z',
      expiresAtEpoch: Date.parse('2026-03-01T10:02:00Z') / 1000,
      transaction: input.transaction,
      consentId: 'consent-42',
      factors: { 'f-ACTIVE': 'sms' },
      pruneAfter: Date.parse('2026-03-01T10:02:00Z') / 1000 + RETENTION,
    });
  });

  it('requires MFA when the user has an active factor, listing only active ones', () => {
    const decision = start(userWith(factor('ACTIVE'), factor('PENDING_ACTIVATION')));
    if (decision.status !== 'MFA_REQUIRED') throw new Error('expected MFA_REQUIRED');
    expect(decision.record.expiresAt).toBe('2026-03-01T10:05:00.000Z');
    expect(decision.active.map((f) => f.factorId)).toEqual(['f-ACTIVE']);
  });

  it('at sca, offers a factor that does not stand alone only where another factor could follow it', () => {
    const of = (type: StoredFactor['type'], id: string): StoredFactor => ({
      ...factor('ACTIVE'),
      factorId: id,
      type,
    });
    const categories = (f: StoredFactor) =>
      f.type === 'pin' ? (['knowledge'] as const) : (['possession'] as const);
    const offered = (...factors: StoredFactor[]) => {
      const decision = decideStart({
        input: { ...input, context: { primaryAuth: 'knowledge' } },
        user: userWith(...factors),
        transactionId: 't1',
        now,
        stateTokenTtlSeconds: 300,
        retentionSeconds: RETENTION,
        level: 'sca',
        categoriesOf: categories,
        standsAlone: (f) => f.type !== 'recovery_code',
      });
      return decision.status === 'MFA_REQUIRED'
        ? {
            usable: decision.active.map((f) => f.factorId),
            listed: decision.offered.map((f) => f.factorId),
          }
        : undefined;
    };
    // SMS and codes, no factor of another category: a code could only be spent for nothing.
    expect(offered(of('sms', 'sms'), of('recovery_code', 'codes'))).toEqual({
      usable: ['sms'],
      listed: ['sms'],
    });
    // With a PIN to follow it, the code is offered; the PIN is usable after it, so the start
    // does not list it (first, it proves nothing the app's password did not).
    expect(offered(of('sms', 'sms'), of('recovery_code', 'codes'), of('pin', 'pin'))).toEqual({
      usable: ['sms', 'codes', 'pin'],
      listed: ['sms', 'codes'],
    });
  });

  it('prunes finished transactions and open ones past their retention, and only those', () => {
    const first = start(userWith(factor('ACTIVE')));
    if (first.status !== 'MFA_REQUIRED') throw new Error('expected MFA_REQUIRED');
    const user = { ...userWith(factor('ACTIVE')), txns: { old: first.record } };
    const due = new Date((first.record.pruneAfter - 1) * 1000);
    const later = start(user, 300, due);
    expect(later.status === 'MFA_REQUIRED' && later.prune).toEqual([]);
    const past = start(user, 300, new Date(first.record.pruneAfter * 1000));
    expect(past.status === 'MFA_REQUIRED' && past.prune).toEqual(['old']);
    // A finished one goes at the next start, however young.
    const done = { ...user, txns: { old: { ...first.record, status: 'SUCCESS' as const } } };
    const soon = start(done, 300, due);
    expect(soon.status === 'MFA_REQUIRED' && soon.prune).toEqual(['old']);
    expect(secondsUntilPrunable(user, first.record.pruneAfter - 42)).toBe(42);
  });
});

describe('state tokens', () => {
  const random = { bytes: (n: number) => Buffer.alloc(n, 7), int: () => 0, uuid: () => 'x' };

  it('are the user reference and 256 bits of the random source, stored only as SHA-256', () => {
    const token = newStateToken(random, 'u1');
    const [ref, secret] = token.split('.');
    expect(ref).toBe(createHash('sha256').update('u1').digest('base64url'));
    expect(ref).toBe(userRef('u1'));
    expect(Buffer.from(secret ?? '', 'base64url')).toEqual(Buffer.alloc(32, 7));
    expect(hashStateToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(parseStateToken(token)).toEqual({ userRef: ref, stateTokenHash: hashStateToken(token) });
  });

  it.each([
    ['no dot', 'a'.repeat(43)],
    ['three parts', `${'a'.repeat(43)}.${'b'.repeat(43)}.c`],
    ['a short secret', `${'a'.repeat(43)}.${'b'.repeat(42)}`],
    ['a short reference', `${'a'.repeat(42)}.${'b'.repeat(43)}`],
    ['an empty part', `.${'b'.repeat(43)}`],
  ])('a token with %s is not one of ours', (_name, token) => {
    expect(parseStateToken(token)).toBeUndefined();
  });
});
