import type {
  FactorType,
  StoredFactor,
  TransactionRecord,
  TransactionView,
} from '../domain/entities.js';
import { isLocked } from '../domain/factor-lock.js';
import type { ScaCategory } from '../domain/mfa-token.js';
import { factorHelps } from '../domain/requirement.js';
import { LIVE_STATUSES, transactionView } from '../domain/transaction.js';
import { MfaError } from '../errors.js';
import { categoriesOf } from '../factors/registry.js';

/** The transaction a refused write saw in its user item (undefined: none). */
export const seenView = transactionView;

const unknownToken = () => new MfaError('not_found', 'Unknown state token');
const noFactor = () => new MfaError('not_found', 'No such factor in this transaction');

const notHelpful = () =>
  new MfaError(
    'invalid_state',
    'This factor proves no category the transaction still needs: use another one',
  );

export const lockedOut = () =>
  new MfaError('locked_out', 'This factor is locked after too many wrong codes; try again later');

/**
 * Why a transaction cannot take a step, read after a conditional write failed. A transaction
 * of another app is indistinguishable from an unknown one (404): it lives under that app's key.
 */
export const transactionRefusal = (
  found: TransactionView | undefined,
  nowSeconds: number,
): MfaError | undefined => {
  if (!found) return unknownToken();
  const { txn } = found;
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

/**
 * Reads a transaction for a step on `factorId`: throws the refusal when the transaction
 * cannot take one, or the factor is not one of its own, no longer active, locked, or (after
 * a factor-sequencing step) proving nothing the transaction still needs (`helping`).
 * Returns the factor as it is now.
 */
export const usableFactor = (
  found: TransactionView | undefined,
  factorId: string,
  nowSeconds: number,
): { view: TransactionView; factor: StoredFactor } => {
  const refusal = transactionRefusal(found, nowSeconds);
  if (refusal) throw refusal;
  const view = found as TransactionView;
  const factor = view.user.factors[factorId];
  if (!view.txn.factors[factorId] || factor?.status !== 'ACTIVE') throw noFactor();
  if (isLocked(factor, nowSeconds)) throw lockedOut();
  if (view.txn.helping && !view.txn.helping.includes(factorId)) throw notHelpful();
  return { view, factor };
};

/**
 * Factor sequencing: the categories a factor of `type` proves in this transaction, or 409
 * `invalid_state` when it proves none the transaction still needs (no code is sent for it,
 * no comparison made).
 */
export const helpfulCategories = (
  txn: TransactionRecord,
  type: FactorType,
): readonly ScaCategory[] => {
  if (!proves(txn, type)) throw notHelpful();
  return categoriesOf(type, { emailIsPossession: txn.emailIsPossession });
};

/** Whether a factor of `type` proves a category the transaction needs beyond `proven`. */
const proves = (
  txn: TransactionRecord,
  type: FactorType,
  proven: readonly ScaCategory[] = txn.proven ?? [],
) =>
  factorHelps(
    txn.level ?? 'mfa',
    proven,
    categoriesOf(type, { emailIsPossession: txn.emailIsPossession }),
  );

/**
 * After a factor-sequencing step that proved `proven`: the factors of the transaction that
 * still prove a category it needs (not a second one of a category already proven). Stored
 * with the step (`helping`): only these take a challenge or an attempt. The factor just
 * verified is among them only if it can prove more than it did: a passkey approved without
 * user verification, which may verify the user next time.
 */
export const stillHelping = (txn: TransactionRecord, proven: readonly ScaCategory[]): string[] =>
  Object.entries(txn.factors)
    .filter(([, type]) => proves(txn, type, proven))
    .map(([id]) => id);
