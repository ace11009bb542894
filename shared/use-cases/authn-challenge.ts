import { factorTypeOf } from '../domain/factor-id.js';
import { isLocked } from '../domain/factor-view.js';
import { CHALLENGE_SUBJECT, challengeText } from '../domain/messages.js';
import { challengeBinding, newOtp, otpMac } from '../domain/otp.js';
import { HOUR_SECONDS, iso } from '../domain/time.js';
import { MfaError } from '../errors.js';
import type { ChallengeInput, ChallengeTaskOutput, UndoChallenge } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { liveTransaction, lockedOut } from './authn-state.js';
import { destinationRateKey, rateLimited, resendTooSoon } from './factor-activation.js';

/**
 * Challenge: for sms/email, records a fresh code in the transaction (one conditional write:
 * state, send cap and cooldown together), counts the send against the destination's hourly
 * limit, and hands the message to the workflow, which delivers it. TOTP needs no send.
 */
export const issueChallenge = async (
  input: ChallengeInput,
  deps: TaskDeps,
): Promise<ChallengeTaskOutput> => {
  const { transactions, rates, otpKeys, random, clock, config, log } = deps;
  const now = epochSeconds(clock.now());
  const type = factorTypeOf(input.factorId);
  if (!type) throw new MfaError('not_found', 'No such factor in this transaction');

  if (type === 'totp') {
    const txn = liveTransaction(
      await transactions.get(input.stateTokenHash),
      input.clientId,
      input.factorId,
      now,
    );
    if (txn.factors[input.factorId]?.type !== 'totp')
      throw new MfaError('not_found', 'No such factor in this transaction');
    return {
      outcome: {
        ok: true,
        body: {
          status: 'MFA_CHALLENGE',
          factorId: input.factorId,
          expiresAt: txn.expiresAt,
          resendAfter: iso(now),
        },
      },
    };
  }

  const key = await otpKeys.otpMacKey();
  const code = newOtp(random, config.OTP_DIGITS);
  const codeMac = otpMac(
    key,
    'challenge',
    challengeBinding(input.stateTokenHash, input.factorId),
    code,
  );
  const codeExpiresAt = now + config.OTP_TTL_SECONDS;
  const before = await transactions.beginChallenge(input.stateTokenHash, {
    clientId: input.clientId,
    factorId: input.factorId,
    codeMac,
    codeExpiresAt,
    nowSeconds: now,
    maxSends: config.MAX_SENDS_PER_TRANSACTION,
    cooldownSeconds: config.RESEND_COOLDOWN_SECONDS,
  });
  if (!before) throw await challengeRefusal(input, deps, now);

  const snapshot = before.factors[input.factorId];
  const previous = {
    codeMac: before.codeMac,
    codeExpiresAt: before.codeExpiresAt,
    challengeFactorId: before.challengeFactorId,
    lastSentAt: before.lastSentAt,
  };
  const undo = async () => transactions.undoChallenge(input.stateTokenHash, codeMac, previous);
  if (!snapshot?.destination || snapshot.type !== type) {
    await undo();
    throw new MfaError('not_found', 'No such factor in this transaction');
  }
  if (isLocked(snapshot, now)) {
    await undo();
    throw lockedOut();
  }
  const rateKey = destinationRateKey(key, type, snapshot.destination);
  if (!(await rates.consume(rateKey, config.SENDS_PER_DESTINATION_PER_HOUR, HOUR_SECONDS, now))) {
    await undo();
    throw rateLimited('Too many codes sent to this destination; try later', now);
  }
  log.info('challenge issued', {
    transactionId: before.transactionId,
    factorType: type,
    sends: (before.sends ?? 0) + 1,
  });
  return {
    outcome: {
      ok: true,
      body: {
        status: 'MFA_CHALLENGE',
        factorId: input.factorId,
        // A code is never good past its transaction: verify checks both.
        expiresAt: iso(Math.min(codeExpiresAt, before.expiresAtEpoch)),
        resendAfter: iso(now + config.RESEND_COOLDOWN_SECONDS),
      },
    },
    delivery: {
      channel: type,
      to: snapshot.destination,
      subject: CHALLENGE_SUBJECT,
      text: challengeText(code, config.OTP_TTL_SECONDS, before.transaction),
    },
    undo: {
      requestId: input.requestId,
      stateTokenHash: input.stateTokenHash,
      codeMac,
      previous,
      rateKey,
    },
  };
};

/** Why `beginChallenge` refused: read once and name the exact reason. */
const challengeRefusal = async (input: ChallengeInput, deps: TaskDeps, now: number) => {
  const { config } = deps;
  const txn = liveTransaction(
    await deps.transactions.get(input.stateTokenHash),
    input.clientId,
    input.factorId,
    now,
  );
  if ((txn.sends ?? 0) >= config.MAX_SENDS_PER_TRANSACTION) {
    return new MfaError(
      'too_many_challenges',
      `At most ${config.MAX_SENDS_PER_TRANSACTION} codes per transaction`,
    );
  }
  const wait = (txn.lastSentAt ?? 0) + config.RESEND_COOLDOWN_SECONDS - now;
  if (wait > 0) {
    return resendTooSoon(wait);
  }
  return new MfaError('invalid_state', 'The transaction cannot take a challenge now');
};

/** The workflow's Catch: delivery failed for good, so the send does not count. */
export const undoFailedDelivery = async (undo: UndoChallenge, deps: TaskDeps) => {
  const now = epochSeconds(deps.clock.now());
  await deps.transactions.undoChallenge(undo.stateTokenHash, undo.codeMac, undo.previous);
  await deps.rates.release(undo.rateKey, HOUR_SECONDS, now);
  deps.log.warn('delivery failed; send taken back');
  throw new MfaError('delivery_failed', 'The code could not be delivered');
};
