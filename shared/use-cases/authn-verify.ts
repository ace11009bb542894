import { factorTypeOf } from '../domain/factor-id.js';
import { amrFor, isLocked } from '../domain/factor-view.js';
import { MFA_ACR } from '../domain/mfa-token.js';
import { challengeBinding, macEquals, otpMac } from '../domain/otp.js';
import { totpCandidates } from '../domain/totp.js';
import { MfaError } from '../errors.js';
import type { FlowOutcome, VerifyInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { TransactionRecord } from '../ports/store.js';
import { liveTransaction, lockedOut } from './authn-state.js';

/**
 * Verify. The transaction is completed first, by one conditional write (single use: of
 * concurrent verifies exactly one wins); for sms/email DynamoDB compares the code MACs in
 * that same write. Then the factor must accept (not locked; a TOTP step only once); if it
 * refuses, the completion is taken back. Wrong codes count on the transaction (5 end it)
 * and on the factor (10 in a row lock it).
 */
export const verifyCode = async (input: VerifyInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { transactions, factors, clock, config } = deps;
  const now = epochSeconds(clock.now());
  const type = factorTypeOf(input.factorId);
  if (!type) throw new MfaError('not_found', 'No such factor in this transaction');
  const args = {
    clientId: input.clientId,
    factorId: input.factorId,
    nowSeconds: now,
    maxAttempts: config.MAX_ATTEMPTS,
  };

  const before = await transactions.complete(input.stateTokenHash, {
    ...args,
    codeMac: type === 'totp' ? undefined : input.passCodeMac,
  });
  if (!before) throw await completionRefusal(input, deps, now);
  if (before.factors[input.factorId]?.type !== type) {
    await transactions.revertCompletion(input.stateTokenHash, input.factorId, before.status);
    throw new MfaError('not_found', 'No such factor in this transaction');
  }

  let step: number | undefined;
  if (type === 'totp') {
    step = await matchTotpStep(input, before, deps, now);
    if (step === undefined) {
      await transactions.revertCompletion(input.stateTokenHash, input.factorId, before.status);
      throw await wrongCode(input, before, deps, now);
    }
  }
  if (!(await factors.succeeded(before.clientId, before.userId, input.factorId, now, step))) {
    throw await factorRefusal(input, before, deps, now);
  }

  deps.log.info('authn succeeded', { transactionId: before.transactionId, factorType: type });
  return {
    ok: true,
    body: { status: 'SUCCESS', transactionId: before.transactionId },
    claims: {
      sub: before.userId,
      aud: before.clientId,
      auth_time: now,
      amr: amrFor(type),
      acr: MFA_ACR,
      txn: before.transactionId,
      ...(before.consentId ? { consent_id: before.consentId } : {}),
      ...(before.transaction
        ? {
            authorization_details: [
              {
                type: 'payment_initiation' as const,
                instructedAmount: {
                  amount: before.transaction.amount,
                  currency: before.transaction.currency,
                },
                creditorName: before.transaction.payee,
              },
            ],
          }
        : {}),
    },
  };
};

/** The TOTP step the submitted code belongs to (±1 step), compared as MACs in constant time. */
const matchTotpStep = async (
  input: VerifyInput,
  txn: TransactionRecord,
  deps: TaskDeps,
  now: number,
) => {
  const user = await deps.factors.getUser(txn.clientId, txn.userId);
  const factor = user?.factors[input.factorId];
  if (!factor?.sealedSecret || factor.status !== 'ACTIVE') return undefined;
  const secret = await deps.secretBox.open(factor.sealedSecret, {
    clientId: txn.clientId,
    userId: txn.userId,
    factorId: input.factorId,
  });
  const key = await deps.otpKeys.otpMacKey();
  const binding = challengeBinding(input.stateTokenHash, input.factorId);
  let matched: number | undefined;
  for (const { step, code } of totpCandidates(secret, now)) {
    if (macEquals(otpMac(key, 'challenge', binding, code), input.passCodeMac)) matched = step;
  }
  // A step already accepted for this factor is a replay.
  return matched !== undefined && (factor.lastStep === undefined || matched > factor.lastStep)
    ? matched
    : undefined;
};

/** Why `complete` refused: read once and name the exact reason; a wrong code is counted. */
const completionRefusal = async (input: VerifyInput, deps: TaskDeps, now: number) => {
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
  if ((txn.codeExpiresAt ?? 0) <= now)
    return new MfaError('expired', 'The code has expired: request a new one');
  // The condition can also fail in a race; only a MAC that really differs is a wrong code.
  if (macEquals(txn.codeMac, input.passCodeMac))
    return new MfaError('invalid_state', 'The code is being used');
  return wrongCode(input, txn, deps, now);
};

/** Counts a wrong code on the transaction and the factor; 401 with what is left, or 403. */
const wrongCode = async (
  input: VerifyInput,
  txn: TransactionRecord,
  deps: TaskDeps,
  now: number,
) => {
  const { config } = deps;
  const counted = await deps.transactions.recordFailure(input.stateTokenHash, {
    clientId: input.clientId,
    nowSeconds: now,
    maxAttempts: config.MAX_ATTEMPTS,
  });
  const factor = await deps.factors.failed(
    txn.clientId,
    txn.userId,
    input.factorId,
    config.FACTOR_LOCK_THRESHOLD,
    now + config.FACTOR_LOCK_SECONDS,
  );
  if (factor?.locked) deps.log.warn('factor locked', { transactionId: txn.transactionId });
  if (!counted) return new MfaError('invalid_state', 'The transaction cannot be verified now');
  const remaining = config.MAX_ATTEMPTS - (counted.attempts ?? 0);
  if (remaining <= 0)
    return new MfaError('locked_out', 'Too many wrong codes: the transaction has ended');
  return new MfaError('invalid_passcode', 'The code is not right', {
    attemptsRemaining: remaining,
  });
};

/** The factor refused a right code: locked, deleted, or (TOTP) the step was just used elsewhere. */
const factorRefusal = async (
  input: VerifyInput,
  txn: TransactionRecord,
  deps: TaskDeps,
  now: number,
) => {
  const factor = (await deps.factors.getUser(txn.clientId, txn.userId))?.factors[input.factorId];
  if (factor && isLocked(factor, now)) {
    await deps.transactions.revertCompletion(input.stateTokenHash, input.factorId, 'LOCKED_OUT');
    return lockedOut();
  }
  await deps.transactions.revertCompletion(input.stateTokenHash, input.factorId, txn.status);
  if (factor?.status !== 'ACTIVE') return new MfaError('not_found', 'The factor no longer exists');
  return wrongCode(input, txn, deps, now);
};
