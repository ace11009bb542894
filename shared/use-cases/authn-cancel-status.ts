import { transactionIdOf } from '../domain/state-token.js';
import { LIVE_STATUSES } from '../domain/transaction.js';
import { MfaError } from '../errors.js';
import { type CancelInput, type FlowOutcome, type StatusInput, transactionRef } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { auditEvent, publish } from './audit.js';
import { seenView, transactionRefusal } from './authn-state.js';

/** Cancel: one conditional write; a finished or expired transaction says why it cannot. */
export const cancelTransaction = async (
  input: CancelInput,
  deps: TaskDeps,
): Promise<FlowOutcome> => {
  const now = epochSeconds(deps.clock.now());
  const ref = transactionRef(input);
  const transactionId = transactionIdOf(ref.stateTokenHash);
  const cancelled = await deps.transactions.cancel(ref, now, {
    events: [
      auditEvent(deps, 'mfa.authn.cancelled', {
        clientId: input.clientId,
        userRef: input.userRef,
        transactionId,
      }),
    ],
  });
  if (!cancelled.ok) {
    throw (
      transactionRefusal(seenView(ref, cancelled.seen), now) ??
      new MfaError('invalid_state', 'The transaction cannot be cancelled now')
    );
  }
  await publish(deps, cancelled.recorded);
  deps.log.info('authn cancelled', { transactionId });
  return { ok: true, body: { status: 'CANCELLED' } };
};

/** Status: a live transaction past its expiry reads `EXPIRED`. */
export const transactionStatus = async (
  input: StatusInput,
  deps: TaskDeps,
): Promise<FlowOutcome> => {
  const now = epochSeconds(deps.clock.now());
  const found = await deps.transactions.get(transactionRef(input));
  if (!found) throw new MfaError('not_found', 'Unknown state token');
  const { txn } = found;
  const expired = LIVE_STATUSES.has(txn.status) && txn.expiresAtEpoch <= now;
  return {
    ok: true,
    body: {
      status: expired ? 'EXPIRED' : txn.status,
      transactionId: txn.transactionId,
      expiresAt: txn.expiresAt,
      // Attempts left matter while the transaction can still be verified.
      ...(txn.attempts && LIVE_STATUSES.has(txn.status) && !expired
        ? { attemptsRemaining: Math.max(deps.config.MAX_ATTEMPTS - txn.attempts, 0) }
        : {}),
    },
  };
};
