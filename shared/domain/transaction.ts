import type { StartInput } from '../flow.js';
import { epochSeconds } from '../ports/clock.js';
import type { FactorSnapshot, TransactionRecord, UserFactors } from '../ports/store.js';
import { factorView } from './factor-view.js';

/** Transaction records outlive their logical expiry by a day so audits can still read them. */
export const RECORD_RETENTION_SECONDS = 86_400;

export interface StartDecision {
  readonly record: TransactionRecord;
  readonly body: Record<string, unknown>;
}

/**
 * Decides the outcome of `POST /v1/authn`. An unknown user and a known user without an
 * active factor get the same `MFA_ENROLL` shape, so the answer never tells whether a user
 * exists.
 */
export const decideStart = (args: {
  input: StartInput;
  user: UserFactors | undefined;
  transactionId: string;
  now: Date;
  stateTokenTtlSeconds: number;
}): StartDecision => {
  const { input, now, transactionId } = args;
  const active = Object.values(args.user?.factors ?? {})
    .filter((factor) => factor.status === 'ACTIVE')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const expires = new Date(now.getTime() + args.stateTokenTtlSeconds * 1000);
  const status = active.length === 0 ? 'MFA_ENROLL' : 'MFA_REQUIRED';
  const factors: Record<string, FactorSnapshot> = {};
  for (const factor of active) {
    factors[factor.factorId] = {
      type: factor.type,
      destination: factor.destination,
      lockedUntil: factor.lockedUntil,
    };
  }
  const record: TransactionRecord = {
    transactionId,
    stateTokenHash: input.stateTokenHash,
    clientId: input.clientId,
    userId: input.userId,
    status,
    createdAt: now.toISOString(),
    expiresAt: expires.toISOString(),
    expiresAtEpoch: epochSeconds(expires),
    context: input.context,
    transaction: input.transaction,
    consentId: input.consentId,
    factors,
    ttl: epochSeconds(expires) + RECORD_RETENTION_SECONDS,
  };
  const body =
    status === 'MFA_ENROLL'
      ? { status, transactionId, factors: [] }
      : { status, transactionId, expiresAt: record.expiresAt, factors: active.map(factorView) };
  return { record, body };
};
