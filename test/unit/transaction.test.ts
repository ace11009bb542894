import { describe, expect, it } from 'vitest';
import { hashStateToken, newStateToken } from '../../shared/domain/state-token.js';
import { decideStart, RECORD_RETENTION_SECONDS } from '../../shared/domain/transaction.js';
import type { StartInput } from '../../shared/flow.js';
import type { StoredFactor, UserFactors } from '../../shared/ports/store.js';

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

describe('starting a transaction', () => {
  it('asks an unknown user, and a user with only pending factors, to enroll: same shape', () => {
    const unknown = decideStart({
      input,
      user: undefined,
      transactionId: 't1',
      now,
      stateTokenTtlSeconds: 300,
    });
    const pending = decideStart({
      input,
      user: userWith(factor('PENDING_ACTIVATION')),
      transactionId: 't1',
      now,
      stateTokenTtlSeconds: 300,
    });
    expect(unknown.body).toEqual({ status: 'MFA_ENROLL', transactionId: 't1', factors: [] });
    expect(pending.body).toEqual(unknown.body);
  });

  it('records the transaction with its expiry from the injected clock and TTL', () => {
    const { record } = decideStart({
      input,
      user: userWith(),
      transactionId: 't1',
      now,
      stateTokenTtlSeconds: 120,
    });
    expect(record).toMatchObject({
      transactionId: 't1',
      stateTokenHash: input.stateTokenHash,
      clientId: 'app',
      userId: 'u1',
      status: 'MFA_ENROLL',
      createdAt: '2026-03-01T10:00:00.000Z',
      expiresAt: '2026-03-01T10:02:00.000Z',
      transaction: input.transaction,
      consentId: 'consent-42',
    });
    expect(record.ttl).toBe(Date.parse('2026-03-01T10:02:00Z') / 1000 + RECORD_RETENTION_SECONDS);
  });

  it('requires MFA when the user has an active factor, listing only active ones', () => {
    const { body } = decideStart({
      input,
      user: userWith(factor('ACTIVE'), factor('PENDING_ACTIVATION')),
      transactionId: 't2',
      now,
      stateTokenTtlSeconds: 300,
    });
    expect(body).toMatchObject({
      status: 'MFA_REQUIRED',
      transactionId: 't2',
      expiresAt: '2026-03-01T10:05:00.000Z',
    });
    expect((body.factors as { id: string }[]).map((f) => f.id)).toEqual(['f-ACTIVE']);
  });
});

describe('state tokens', () => {
  it('are 256 bits of the random source, stored only as SHA-256', () => {
    const token = newStateToken({
      bytes: (n) => Buffer.alloc(n, 7),
      int: () => 0,
      uuid: () => 'x',
    });
    expect(Buffer.from(token, 'base64url')).toEqual(Buffer.alloc(32, 7));
    expect(hashStateToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashStateToken(token)).not.toContain(token);
  });
});
