import type {
  FactorType,
  PreviousChallenge,
  TransactionRef,
  TransactionView,
} from '../domain/entities.js';
import { factorTypeOf } from '../domain/factor-id.js';
import { CHALLENGE_SUBJECT, challengeText } from '../domain/messages.js';
import { challengeBinding, newOtp, otpMac } from '../domain/otp.js';
import { transactionIdOf } from '../domain/state-token.js';
import { iso } from '../domain/time.js';
import { MfaError } from '../errors.js';
import type { FactorKind } from '../factors/kind.js';
import { kindOf } from '../factors/registry.js';
import {
  type ChallengeInput,
  type ChallengeTaskOutput,
  type FlowOutcome,
  transactionRef,
  type UndoChallenge,
} from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { AuditWrite } from '../ports/store.js';
import { auditEvent, publish, recordAudit } from './audit.js';
import { helpfulCategories, seenView, usableFactor } from './authn-state.js';
import { resendTooSoon } from './factor-activation.js';
import { releaseSendLimits, sendLimits, takeSendLimits } from './send-limits.js';

const noFactor = () => new MfaError('not_found', 'No such factor in this transaction');

/**
 * Challenge: for a kind that sends codes, records a fresh code in the transaction (one
 * conditional write: state, factor usable, send cap and cooldown together), counts the send
 * against the hourly limits, and hands the message to the workflow, which delivers it. A
 * kind whose codes the user's device makes (TOTP) needs no send: one read checks the
 * transaction and the factor.
 */
export const issueChallenge = async (
  input: ChallengeInput,
  deps: TaskDeps,
): Promise<ChallengeTaskOutput> => {
  const { transactions, otpKeys, random, clock, config, log } = deps;
  const now = epochSeconds(clock.now());
  const ref = transactionRef(input);
  const type = factorTypeOf(input.factorId);
  if (!type) throw noFactor();
  const kind = kindOf(type);
  if (kind.signing) {
    return { outcome: await signingChallenge(input, deps, kind, kind.signing, now) };
  }
  const channel = kind.delivery;

  if (!channel) {
    // The user's device makes the code: one read checks the transaction and the factor.
    const { view } = usableFactor(await transactions.get(ref), input.factorId, now);
    if (view.txn.factors[input.factorId] !== type) throw noFactor();
    return {
      outcome: {
        ok: true,
        body: {
          status: 'MFA_CHALLENGE',
          factorId: input.factorId,
          expiresAt: view.txn.expiresAt,
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
  const about = challengeAbout(input, type);
  const begun = await transactions.beginChallenge(ref, {
    factorId: input.factorId,
    codeMac,
    codeExpiresAt,
    nowSeconds: now,
    maxSends: config.MAX_SENDS_PER_TRANSACTION,
    cooldownSeconds: config.RESEND_COOLDOWN_SECONDS,
    audit: { events: [auditEvent(deps, 'mfa.challenge.sent', about)] },
  });
  if (!begun.ok) throw challengeRefusal(input, seenView(ref, begun.seen), deps, now);
  // In the chain from here on (a send taken back below is recorded as `challenge.failed`):
  // published while the send limits are taken, not before.
  const published = publish(deps, begun.recorded);
  try {
    const before = begun.value;
    const { txn } = before;
    const destination = before.user.factors[input.factorId]?.destination;
    const previous = {
      status: txn.status,
      codeMac: txn.codeMac,
      codeExpiresAt: txn.codeExpiresAt,
      challengeFactorId: txn.challengeFactorId,
      lastSentAt: txn.lastSentAt,
    };
    const takeBack = async (error: MfaError) => {
      const send = { codeMac, previous, code: error.code };
      // Folded on the item as this request saw it (the log does not grow with refused sends).
      const read = { item: before.user };
      if (!(await undoSend(deps, ref, about, send, read))) {
        // Another challenge replaced this code meanwhile: the failure is still recorded.
        await recordAudit(deps, { clientId: input.clientId, userRef: input.userRef }, [
          failedEvent(deps, about, error.code),
        ]);
      }
      return error;
    };
    if (!destination || txn.factors[input.factorId] !== type) throw await takeBack(noFactor());
    // Factor sequencing: no code is sent for a factor that proves nothing still needed.
    try {
      helpfulCategories(txn, type);
    } catch (error) {
      throw error instanceof MfaError ? await takeBack(error) : error;
    }
    let rateKeys: string[];
    try {
      rateKeys = await takeSendLimits(
        deps,
        sendLimits(deps, key, { clientId: input.clientId, channel, destination }),
        now,
        {
          clientId: input.clientId,
          userRef: input.userRef,
          transactionId: txn.transactionId,
          factorId: input.factorId,
        },
      );
    } catch (error) {
      // Refused: the transaction's send, cooldown and code are as they were.
      throw error instanceof MfaError ? await takeBack(error) : error;
    }
    log.info('challenge issued', {
      transactionId: txn.transactionId,
      clientId: input.clientId,
      factorType: type,
      sends: (txn.sends ?? 0) + 1,
    });
    return {
      outcome: {
        ok: true,
        body: {
          status: 'MFA_CHALLENGE',
          factorId: input.factorId,
          // A code is never good past its transaction: verify checks both.
          expiresAt: iso(Math.min(codeExpiresAt, txn.expiresAtEpoch)),
          resendAfter: iso(now + config.RESEND_COOLDOWN_SECONDS),
        },
      },
      delivery: {
        channel,
        to: destination,
        subject: CHALLENGE_SUBJECT,
        text: challengeText(code, config.OTP_TTL_SECONDS, txn.transaction),
      },
      undo: {
        requestId: input.requestId,
        ...ref,
        transactionId: txn.transactionId,
        factorId: input.factorId,
        codeMac,
        previous,
        rateKeys,
        takenAt: now,
      },
    };
  } finally {
    await published;
  }
};

/**
 * A passkey challenge: one conditional write stores a fresh 16-byte nonce as the
 * transaction's live challenge for this factor (the transaction's rules as for a sent code,
 * but counted apart from sent codes and with no cooldown: nothing is sent, and a user may
 * dismiss the browser's prompt and try again; at most `MAX_ATTEMPTS` per transaction), and
 * the answer carries the request
 * options whose challenge is derived from the transaction and that nonce.
 */
const signingChallenge = async (
  input: ChallengeInput,
  deps: TaskDeps,
  kind: FactorKind,
  signing: NonNullable<FactorKind['signing']>,
  now: number,
): Promise<FlowOutcome> => {
  const { transactions, config } = deps;
  const ref = transactionRef(input);
  const nonce = deps.random.bytes(16).toString('base64url');
  const expiresAt = now + signing.ttlSeconds(config);
  const begun = await transactions.beginChallenge(ref, {
    factorId: input.factorId,
    codeMac: nonce,
    codeExpiresAt: expiresAt,
    nowSeconds: now,
    maxSends: config.MAX_ATTEMPTS,
    cooldownSeconds: 0,
    nonce: true,
    audit: { events: [auditEvent(deps, 'mfa.challenge.sent', challengeAbout(input, kind.type))] },
  });
  if (!begun.ok) {
    const { txn } = usableFactor(seenView(ref, begun.seen), input.factorId, now).view;
    if ((txn.nonces ?? 0) >= config.MAX_ATTEMPTS) {
      throw new MfaError(
        'too_many_challenges',
        `At most ${config.MAX_ATTEMPTS} passkey challenges per transaction`,
      );
    }
    throw new MfaError('invalid_state', 'The transaction cannot take a challenge now');
  }
  await publish(deps, begun.recorded);
  const { txn, user } = begun.value;
  const factor = user.factors[input.factorId];
  if (!factor || txn.factors[input.factorId] !== kind.type) throw noFactor();
  helpfulCategories(txn, kind.type);
  const request = await signing.request(deps, {
    clientId: user.clientId,
    userId: user.userId,
    factor,
    txn,
    nonce,
  });
  deps.log.info('challenge issued', {
    transactionId: txn.transactionId,
    clientId: input.clientId,
    factorType: kind.type,
  });
  return {
    ok: true,
    body: {
      status: 'MFA_CHALLENGE',
      factorId: input.factorId,
      expiresAt: iso(Math.min(expiresAt, txn.expiresAtEpoch)),
      resendAfter: iso(now),
      ...request,
    },
  };
};

/**
 * Why `beginChallenge` refused, from the item its condition saw: the rules of its condition,
 * in order (open and unexpired, the factor usable, the send cap, the cooldown).
 */
const challengeRefusal = (
  input: ChallengeInput,
  found: TransactionView | undefined,
  deps: TaskDeps,
  now: number,
) => {
  const { config } = deps;
  const { view } = usableFactor(found, input.factorId, now);
  const { txn } = view;
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

/** What a challenge's audit events are about (the transaction id from the state token). */
const challengeAbout = (
  input: Pick<ChallengeInput, 'clientId' | 'userRef' | 'stateTokenHash' | 'factorId'>,
  factorType: FactorType | undefined,
) => ({
  clientId: input.clientId,
  userRef: input.userRef,
  transactionId: transactionIdOf(input.stateTokenHash),
  factorId: input.factorId,
  ...(factorType ? { factorType } : {}),
});

/**
 * Takes back a send (the code the user had before is restored), recording
 * `mfa.challenge.failed` with why (`code`); false when there was nothing to take back.
 */
const undoSend = async (
  deps: TaskDeps,
  ref: TransactionRef,
  about: ReturnType<typeof challengeAbout>,
  send: { codeMac: string; previous: PreviousChallenge; code: string },
  read?: AuditWrite['read'],
): Promise<boolean> => {
  const recorded = await deps.transactions.undoChallenge(ref, send.codeMac, send.previous, {
    events: [failedEvent(deps, about, send.code)],
    ...(read ? { read } : {}),
  });
  if (recorded) await publish(deps, recorded);
  return recorded !== undefined;
};

const failedEvent = (deps: TaskDeps, about: ReturnType<typeof challengeAbout>, code: string) =>
  auditEvent(deps, 'mfa.challenge.failed', { ...about, code });

/** The workflow's Catch: delivery failed for good, so the send does not count. */
export const undoFailedDelivery = async (undo: UndoChallenge, deps: TaskDeps) => {
  const ref = transactionRef(undo);
  const type = factorTypeOf(undo.factorId);
  // Given back once: a retried undo (the workflow retries the task) finds nothing to undo.
  // The id the transaction holds (a send from before ids came from state tokens keeps its own).
  const about = { ...challengeAbout(undo, type), transactionId: undo.transactionId };
  if (await undoSend(deps, ref, about, { ...undo, code: 'delivery_failed' })) {
    await releaseSendLimits(deps, undo.rateKeys, undo.takenAt);
  }
  deps.log.warn('delivery failed; send taken back');
  throw new MfaError('delivery_failed', 'The code could not be delivered');
};
