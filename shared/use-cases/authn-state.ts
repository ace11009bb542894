import { MfaError } from '../errors.js';
import type { TransactionRecord } from '../ports/store.js';

export const LIVE_STATUSES: ReadonlySet<string> = new Set(['MFA_REQUIRED', 'MFA_CHALLENGE']);

/**
 * Why a transaction cannot take a step, read after a conditional write failed. A transaction
 * of another app is indistinguishable from an unknown one (404).
 */
export const transactionRefusal = (
  txn: TransactionRecord | undefined,
  clientId: string,
  nowSeconds: number,
): MfaError | undefined => {
  if (!txn || txn.clientId !== clientId) return new MfaError('not_found', 'Unknown state token');
  if (txn.status === 'LOCKED_OUT') {
    return new MfaError('locked_out', 'Too many wrong codes: the transaction has ended');
  }
  if (!LIVE_STATUSES.has(txn.status)) {
    return new MfaError('invalid_state', `The transaction is ${txn.status}`);
  }
  if (txn.expiresAtEpoch <= nowSeconds)
    return new MfaError('expired', 'The state token has expired');
  return undefined;
};

/** Reads a transaction for a step; throws the refusal when it cannot take one. */
export const liveTransaction = (
  txn: TransactionRecord | undefined,
  clientId: string,
  factorId: string | undefined,
  nowSeconds: number,
): TransactionRecord => {
  const refusal = transactionRefusal(txn, clientId, nowSeconds);
  if (refusal) throw refusal;
  const live = txn as TransactionRecord;
  if (factorId !== undefined && !live.factors[factorId]) {
    throw new MfaError('not_found', 'No such factor in this transaction');
  }
  return live;
};

export const lockedOut = () =>
  new MfaError('locked_out', 'This factor is locked after too many wrong codes; try again later');
