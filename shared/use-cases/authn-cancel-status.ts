import { MfaError } from '../errors.js';
import type { CancelInput, FlowOutcome, StatusInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { LIVE_STATUSES, transactionRefusal } from './authn-state.js';

/** Cancel: one conditional write; a finished or expired transaction says why it cannot. */
export const cancelTransaction = async (
  input: CancelInput,
  deps: TaskDeps,
): Promise<FlowOutcome> => {
  const now = epochSeconds(deps.clock.now());
  if (!(await deps.transactions.cancel(input.stateTokenHash, input.clientId, now))) {
    throw (
      transactionRefusal(await deps.transactions.get(input.stateTokenHash), input.clientId, now) ??
      new MfaError('invalid_state', 'The transaction cannot be cancelled now')
    );
  }
  deps.log.info('authn cancelled');
  return { ok: true, body: { status: 'CANCELLED' } };
};

/** Status: a live transaction past its expiry reads `EXPIRED`. */
export const transactionStatus = async (
  input: StatusInput,
  deps: TaskDeps,
): Promise<FlowOutcome> => {
  const now = epochSeconds(deps.clock.now());
  const txn = await deps.transactions.get(input.stateTokenHash);
  if (!txn || txn.clientId !== input.clientId)
    throw new MfaError('not_found', 'Unknown state token');
  const expired = LIVE_STATUSES.has(txn.status) && txn.expiresAtEpoch <= now;
  return {
    ok: true,
    body: {
      status: expired ? 'EXPIRED' : txn.status,
      transactionId: txn.transactionId,
      expiresAt: txn.expiresAt,
      ...(txn.attempts
        ? { attemptsRemaining: Math.max(deps.config.MAX_ATTEMPTS - txn.attempts, 0) }
        : {}),
    },
  };
};
