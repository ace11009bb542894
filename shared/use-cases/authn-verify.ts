import { factorTypeOf } from '../domain/factor-id.js';
import { amrFor, isLocked } from '../domain/factor-view.js';
import { MFA_ACR } from '../domain/mfa-token.js';
import { challengeBinding, macEquals, matchTotpStep } from '../domain/otp.js';
import { totpCandidates } from '../domain/totp.js';
import { MfaError } from '../errors.js';
import type { FlowOutcome, VerifyInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { TransactionRecord } from '../ports/store.js';
import { liveTransaction, lockedOut } from './authn-state.js';

const noFactor = () => new MfaError('not_found', 'No such factor in this transaction');

/**
 * Verify: reserve, compare, settle.
 * 1. One conditional write takes an attempt on the transaction before any comparison, so a
 *    burst of guesses gets no more comparisons than the attempts left (5 per transaction).
 * 2. The code is compared as an HMAC in constant time (TOTP: ±1 step, above the last used).
 * 3. A wrong code is counted on the factor (10 in a row lock it; a locked factor answers 403
 *    whatever the code); a right one must be accepted by the factor (not locked, the TOTP step
 *    unused) and then completes the transaction with a conditional write: single use, so of
 *    any number of concurrent verifies exactly one succeeds.
 */
export const verifyCode = async (input: VerifyInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { transactions, factors, clock, config } = deps;
  const now = epochSeconds(clock.now());
  const type = factorTypeOf(input.factorId);
  if (!type) throw noFactor();

  const txn = await transactions.reserveAttempt(input.stateTokenHash, {
    clientId: input.clientId,
    factorId: input.factorId,
    nowSeconds: now,
    maxAttempts: config.MAX_ATTEMPTS,
    challenge: type !== 'totp',
  });
  if (!txn) throw await reservationRefusal(input, deps, now);
  if (txn.factors[input.factorId]?.type !== type) throw noFactor();

  let step: number | undefined;
  let right: boolean;
  let counted: { failures: number } | undefined;
  if (type === 'totp') {
    // TOTP has no per-challenge cost, so the factor's own counter gates every comparison.
    const factor = await factors.reserveAttempt(txn.clientId, txn.userId, input.factorId, {
      threshold: config.FACTOR_LOCK_THRESHOLD,
      nowSeconds: now,
    });
    if (!factor?.sealedSecret) throw await factorRefusal(input, txn, deps, now);
    counted = { failures: factor.failures };
    const secret = await deps.secretBox.open(factor.sealedSecret, {
      clientId: txn.clientId,
      userId: txn.userId,
      factorId: input.factorId,
    });
    step = matchTotpStep({
      candidates: totpCandidates(secret, now),
      key: await deps.otpKeys.otpMacKey(),
      purpose: 'challenge',
      binding: challengeBinding(input.stateTokenHash, input.factorId),
      submittedMac: input.passCodeMac,
      afterStep: factor.lastStep,
    });
    right = step !== undefined;
  } else {
    right = txn.codeMac !== undefined && macEquals(txn.codeMac, input.passCodeMac);
  }
  if (!right) throw await wrongCode(input, txn, deps, now, counted);

  if (!(await factors.succeeded(txn.clientId, txn.userId, input.factorId, now, step))) {
    throw await factorRefusal(input, txn, deps, now, counted);
  }
  const done = await transactions.complete(input.stateTokenHash, {
    clientId: input.clientId,
    factorId: input.factorId,
    codeMac: type === 'totp' ? undefined : input.passCodeMac,
    nowSeconds: now,
  });
  if (!done)
    throw new MfaError('invalid_state', 'The transaction was completed by another request');

  deps.log.info('authn succeeded', { transactionId: txn.transactionId, factorType: type });
  return {
    ok: true,
    body: { status: 'SUCCESS', transactionId: txn.transactionId },
    claims: {
      sub: txn.userId,
      aud: txn.clientId,
      auth_time: now,
      amr: amrFor(type),
      acr: MFA_ACR,
      txn: txn.transactionId,
      ...(txn.consentId ? { consent_id: txn.consentId } : {}),
      ...(txn.transaction
        ? {
            authorization_details: [
              {
                type: 'payment_initiation' as const,
                instructedAmount: {
                  amount: txn.transaction.amount,
                  currency: txn.transaction.currency,
                },
                creditorName: txn.transaction.payee,
              },
            ],
          }
        : {}),
    },
  };
};

/** Why no attempt could be taken: read once and name the exact reason. Nothing is counted. */
const reservationRefusal = async (input: VerifyInput, deps: TaskDeps, now: number) => {
  const txn = liveTransaction(
    await deps.transactions.get(input.stateTokenHash),
    input.clientId,
    input.factorId,
    now,
  );
  if ((txn.attempts ?? 0) >= deps.config.MAX_ATTEMPTS)
    return new MfaError('locked_out', 'Too many wrong codes');
  if (factorTypeOf(input.factorId) === 'totp')
    return new MfaError('invalid_state', 'The transaction cannot be verified now');
  if (txn.status !== 'MFA_CHALLENGE' || txn.challengeFactorId !== input.factorId || !txn.codeMac) {
    return new MfaError('invalid_state', 'No live challenge for this factor: request a code first');
  }
  return new MfaError('expired', 'The code has expired: request a new one');
};

/** A wrong code (its attempt is already counted): 401 with what is left, or 403. */
const wrongCode = async (
  input: VerifyInput,
  txn: TransactionRecord,
  deps: TaskDeps,
  now: number,
  /** The factor failure already counted before the comparison (TOTP). */
  counted?: { failures: number },
): Promise<MfaError> => {
  const { config } = deps;
  const lockUntil = now + config.FACTOR_LOCK_SECONDS;
  let factor: { failures: number; locked: boolean } | undefined;
  if (counted) {
    const locked = counted.failures >= config.FACTOR_LOCK_THRESHOLD;
    if (locked) await deps.factors.lock(txn.clientId, txn.userId, input.factorId, lockUntil);
    factor = { failures: counted.failures, locked };
  } else {
    factor = await deps.factors.failed(txn.clientId, txn.userId, input.factorId, {
      threshold: config.FACTOR_LOCK_THRESHOLD,
      lockUntil,
      nowSeconds: now,
    });
  }
  if (factor?.locked) deps.log.warn('factor locked', { transactionId: txn.transactionId });
  const remaining = config.MAX_ATTEMPTS - (txn.attempts ?? 0);
  if (remaining <= 0) {
    await deps.transactions.lockOut(input.stateTokenHash);
    return new MfaError('locked_out', 'Too many wrong codes: the transaction has ended');
  }
  if (!factor) {
    // Nothing was counted on the factor: it is gone or locked, and that is the answer.
    const current = (await deps.factors.getUser(txn.clientId, txn.userId))?.factors[input.factorId];
    if (!current) return noFactor();
    if (isLocked(current, now)) return lockedOut();
  }
  return new MfaError('invalid_passcode', 'The code is not right', {
    attemptsRemaining: remaining,
  });
};

/** A right code the factor refused: locked (403), deleted (404), or a TOTP step just used (401). */
const factorRefusal = async (
  input: VerifyInput,
  txn: TransactionRecord,
  deps: TaskDeps,
  now: number,
  counted?: { failures: number },
): Promise<MfaError> => {
  const factor = (await deps.factors.getUser(txn.clientId, txn.userId))?.factors[input.factorId];
  if (factor?.status !== 'ACTIVE') return noFactor();
  // Locked, or about to be: requests in flight hold every attempt the factor had left.
  if (isLocked(factor, now) || factor.failures >= deps.config.FACTOR_LOCK_THRESHOLD)
    return lockedOut();
  // A race (a TOTP step just used elsewhere): a wrong code, without counting it twice.
  return wrongCode(input, txn, deps, now, counted ?? { failures: factor.failures });
};
