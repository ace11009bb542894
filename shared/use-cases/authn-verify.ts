import { factorTypeOf } from '../domain/factor-id.js';
import { amrFor } from '../domain/factor-view.js';
import { MFA_ACR } from '../domain/mfa-token.js';
import { challengeBinding, macEquals, matchTotpStep } from '../domain/otp.js';
import { totpCandidates } from '../domain/totp.js';
import { MfaError } from '../errors.js';
import { type FlowOutcome, transactionRef, type VerifyInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { TransactionRecord, TransactionView } from '../ports/store.js';
import { audit } from './audit.js';
import { usableFactor } from './authn-state.js';

const noFactor = () => new MfaError('not_found', 'No such factor in this transaction');

/**
 * Verify: reserve, compare, settle, each on the one user item that holds the transaction and
 * the factor.
 * 1. One conditional write counts an attempt on the transaction and a failure on the factor
 *    before any comparison, so a burst of guesses gets no more comparisons than the attempts
 *    left (5 per transaction) and the factor allows (10 in a row, across transactions).
 * 2. The code is compared as an HMAC in constant time (TOTP: ±1 step, above the last used).
 * 3. A right code completes the transaction and resets the factor in one conditional write:
 *    single use, so of any number of concurrent verifies exactly one succeeds. A wrong one
 *    costs nothing more, unless it was the last the transaction or the factor allowed.
 */
export const verifyCode = async (input: VerifyInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { transactions, clock, config } = deps;
  const now = epochSeconds(clock.now());
  const ref = transactionRef(input);
  const type = factorTypeOf(input.factorId);
  if (!type) throw noFactor();

  const reserved = await transactions.reserveAttempt(ref, {
    factorId: input.factorId,
    nowSeconds: now,
    maxAttempts: config.MAX_ATTEMPTS,
    threshold: config.FACTOR_LOCK_THRESHOLD,
    challenge: type !== 'totp',
  });
  if (!reserved) throw await reservationRefusal(input, deps, now);
  const { txn, user } = reserved;
  const factor = user.factors[input.factorId];
  if (txn.factors[input.factorId] !== type || !factor) throw noFactor();

  let step: number | undefined;
  let right: boolean;
  if (type === 'totp') {
    if (!factor.sealedSecret) throw noFactor();
    const secret = await deps.secretBox.open(factor.sealedSecret, {
      clientId: user.clientId,
      userId: user.userId,
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
  if (!right) throw await wrongCode(input, reserved, deps, now);

  const done = await transactions.complete(ref, {
    factorId: input.factorId,
    nowSeconds: now,
    ...(type === 'totp' ? { step } : { codeMac: input.passCodeMac }),
  });
  if (!done) throw await completionRefusal(input, reserved, deps, now);

  await audit(deps, 'mfa.authn.succeeded', {
    clientId: user.clientId,
    userRef: input.userRef,
    transactionId: txn.transactionId,
    factorId: input.factorId,
    factorType: type,
    ...(txn.transaction ? { transaction: txn.transaction } : {}),
    ...(txn.consentId ? { consentId: txn.consentId } : {}),
  });
  deps.log.info('authn succeeded', { transactionId: txn.transactionId, factorType: type });
  return {
    ok: true,
    body: { status: 'SUCCESS', transactionId: txn.transactionId },
    claims: {
      sub: user.userId,
      aud: user.clientId,
      auth_time: now,
      amr: amrFor(type),
      acr: MFA_ACR,
      txn: txn.transactionId,
      ...(txn.consentId ? { consent_id: txn.consentId } : {}),
      ...(txn.transaction ? { authorization_details: paymentDetails(txn.transaction) } : {}),
    },
  };
};

const paymentDetails = (payment: NonNullable<TransactionRecord['transaction']>) => [
  {
    type: 'payment_initiation' as const,
    instructedAmount: { amount: payment.amount, currency: payment.currency },
    creditorName: payment.payee,
  },
];

/** Why no attempt could be taken: read once and name the exact reason. Nothing is counted. */
const reservationRefusal = async (input: VerifyInput, deps: TaskDeps, now: number) => {
  const { config } = deps;
  const { view } = usableFactor(
    await deps.transactions.get(transactionRef(input)),
    input.factorId,
    now,
    config.FACTOR_LOCK_THRESHOLD,
  );
  const { txn } = view;
  if ((txn.attempts ?? 0) >= config.MAX_ATTEMPTS)
    return new MfaError('locked_out', 'Too many wrong codes');
  if (factorTypeOf(input.factorId) === 'totp')
    return new MfaError('invalid_state', 'The transaction cannot be verified now');
  if (txn.status !== 'MFA_CHALLENGE' || txn.challengeFactorId !== input.factorId || !txn.codeMac) {
    return new MfaError('invalid_state', 'No live challenge for this factor: request a code first');
  }
  return new MfaError('expired', 'The code has expired: request a new one');
};

/**
 * A wrong code (its attempt and the factor failure are already counted): 401 with what is
 * left, or 403 when it was the transaction's last attempt. The failure that reaches the
 * factor's threshold locks it.
 */
const wrongCode = async (
  input: VerifyInput,
  { txn, user }: TransactionView,
  deps: TaskDeps,
  now: number,
): Promise<MfaError> => {
  const { config } = deps;
  const failures = user.factors[input.factorId]?.failures ?? 0;
  const lockFactor = failures >= config.FACTOR_LOCK_THRESHOLD;
  const remaining = Math.max(config.MAX_ATTEMPTS - (txn.attempts ?? 0), 0);
  const lockedUntil = now + config.FACTOR_LOCK_SECONDS;
  if (lockFactor || remaining === 0) {
    await deps.transactions.settleFailure(transactionRef(input), {
      factorId: input.factorId,
      ...(lockFactor ? { lockFactorUntil: lockedUntil } : {}),
      endTransaction: remaining === 0,
    });
  }
  const about = {
    clientId: user.clientId,
    userRef: input.userRef,
    transactionId: txn.transactionId,
    factorId: input.factorId,
    factorType: factorTypeOf(input.factorId),
  };
  const error =
    remaining === 0
      ? new MfaError('locked_out', 'Too many wrong codes: the transaction has ended')
      : new MfaError('invalid_passcode', 'The code is not right', {
          attemptsRemaining: remaining,
        });
  await audit(deps, 'mfa.authn.failed', {
    ...about,
    code: error.code,
    attemptsRemaining: remaining,
  });
  if (lockFactor) {
    await audit(deps, 'mfa.factor.locked', { ...about, lockedUntil });
    deps.log.warn('factor locked', { transactionId: txn.transactionId });
  }
  return error;
};

/**
 * A right code the item refused to complete with: read why. The transaction finished
 * elsewhere (409), the factor was deleted (404) or locked (403), or, for TOTP, its step was
 * just used by another request: then it is a wrong code, already counted.
 */
const completionRefusal = async (
  input: VerifyInput,
  reserved: TransactionView,
  deps: TaskDeps,
  now: number,
): Promise<MfaError> => {
  const { view } = usableFactor(
    await deps.transactions.get(transactionRef(input)),
    input.factorId,
    now,
    // Requests in flight may hold every failure the factor had left: that is not a lock yet.
    Number.POSITIVE_INFINITY,
  );
  return wrongCode(input, { ...reserved, user: view.user }, deps, now);
};
