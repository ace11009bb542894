import { transactionBinding } from '../domain/binding.js';
import type { StoredFactor, TransactionView, UserFactors } from '../domain/entities.js';
import { factorTypeOf } from '../domain/factor-id.js';
import { acrFor, type ScaCategory } from '../domain/mfa-token.js';
import { challengeBinding } from '../domain/otp.js';
import { type ReceiptFactor, receiptBody, receiptDigest } from '../domain/receipt.js';
import { type Level, levelMet, union } from '../domain/requirement.js';
import { DAY_SECONDS } from '../domain/time.js';
import { MfaError, wrongCodeError } from '../errors.js';
import { lockThresholdOf } from '../factors/kind.js';
import { factorView, kindOf } from '../factors/registry.js';
import { type FlowOutcome, transactionRef, type VerifyInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { auditClaim, auditEvent, auditedTransaction, publish, recordAudit } from './audit.js';
import {
  helpfulCategories,
  lockedOut,
  seenView,
  stillHelping,
  transactionRefusal,
  usableFactor,
} from './authn-state.js';
import { paymentClaims } from './authorization-details.js';
import { requirementOf, verifiedStateWrite } from './policy-decision.js';

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
 *    costs nothing more, unless it was the transaction's last attempt (one write ends it).
 * The factor's last allowed failure is reserved only together with its lock, so a factor is
 * never left at its threshold unlocked; a right code from that same request lifts the lock.
 */
export const verifyCode = async (input: VerifyInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { transactions, clock, config } = deps;
  const now = epochSeconds(clock.now());
  const ref = transactionRef(input);
  const type = factorTypeOf(input.factorId);
  if (!type) throw noFactor();
  const kind = kindOf(type);

  const reserve = (lock?: LockArgs) =>
    transactions.reserveAttempt(ref, {
      factorId: input.factorId,
      nowSeconds: now,
      maxAttempts: config.MAX_ATTEMPTS,
      threshold: lockThresholdOf(kind, config),
      // A code was sent, or a passkey challenge issued: verify needs it live.
      challenge: kind.delivery !== undefined || kind.signing !== undefined,
      ...(lock ? { lock } : {}),
    });
  let locking = false;
  let attempt = await reserve();
  if (!attempt.ok) {
    // Refused: say why from the item the write saw, unless this is the factor's last allowed
    // failure, which is reserved with the lock already set (a right code from this request
    // lifts it).
    const found = seenView(ref, attempt.seen);
    const refusal = reservationRefusal(input, found, deps, now);
    if (refusal !== LAST_FAILURE) throw refusal;
    locking = true;
    const factor = found?.user.factors[input.factorId];
    attempt = await reserve(nextLock(factor, now, config.FACTOR_LOCK_SECONDS, input.requestId));
    if (!attempt.ok) {
      const refusal = reservationRefusal(input, seenView(ref, attempt.seen), deps, now);
      throw refusal === LAST_FAILURE ? lockedOut() : refusal;
    }
  }
  const reserved = attempt.value;
  const { txn, user } = reserved;
  const factor = user.factors[input.factorId];
  if (txn.factors[input.factorId] !== type || !factor) throw noFactor();
  // Factor sequencing: what the transaction has proven, and whether this factor adds to it.
  const level = txn.level ?? 'mfa';
  const provenBefore = txn.proven ?? [];
  const possible = helpfulCategories(txn, type);

  const proof = await kind.challengeProof(deps, {
    clientId: user.clientId,
    userId: user.userId,
    factor,
    txn,
    nowSeconds: now,
    key: await deps.otpKeys.otpMacKey(),
    binding: challengeBinding(input.stateTokenHash, input.factorId),
    ...(input.passCodeMac === undefined ? {} : { submittedMac: input.passCodeMac }),
    ...(input.credential === undefined ? {} : { credential: input.credential }),
  });
  if (!proof) throw await wrongCode(input, reserved, deps, locking);
  // A passkey proves what its flags say (user verification); other kinds what their kind does.
  const signed = 'signed' in proof ? proof.signed : undefined;
  const categories = signed?.categories ?? possible;

  // A kind that does not stand alone (recovery codes) never makes `sca` next to the app's word
  // only, whatever the level asked: as the first factor its categories count without
  // `primaryAuth` (so its token says `mfa`, and only another factor can make it `sca`).
  const alone = kind.standsAlone === false && (txn.steps ?? 0) === 0;
  const proven = union(alone ? [] : provenBefore, categories);
  const amr = union(txn.amr ?? [], signed?.amr ?? kind.amr);
  const finished = levelMet(level, proven);
  const acr = acrFor(proven);
  // Factor sequencing: the factors that may follow this one, when it does not finish.
  const helping = finished ? [] : stillHelping(txn, proven);
  // This factor's receipt entry (a passkey's with its own signature), after those before it.
  const verified: ReceiptFactor[] = [
    ...(txn.verifiedFactors ?? []),
    { type, categories: [...categories], verifiedAt: now, ...signed?.evidence },
  ];
  const about = {
    clientId: user.clientId,
    userRef: input.userRef,
    transactionId: txn.transactionId,
    factorId: input.factorId,
    factorType: type,
  };
  const claims = {
    sub: user.userId,
    aud: user.clientId,
    auth_time: now,
    amr,
    // The categories proven: the app's own sign-in and every verified factor's.
    acr,
    txn: txn.transactionId,
    ...(txn.consentId ? { consent_id: txn.consentId } : {}),
    ...paymentClaims(txn.transaction),
    // What the app's policy decided at the start.
    sca: { decision: 'require', ...(txn.rule ? { rule: txn.rule } : {}) },
  };
  // The receipt's content (its audit place is added once recorded), digested into the event.
  const receipt = {
    binding: transactionBinding(txn),
    factors: verified,
    policy: { decision: 'require', ...(txn.rule ? { rule: txn.rule } : {}) },
  };
  const event = finished
    ? auditEvent(deps, 'mfa.authn.succeeded', {
        ...about,
        ...(txn.transaction ? { transaction: auditedTransaction(txn.transaction) } : {}),
        ...(txn.consentId ? { consentId: txn.consentId } : {}),
        receiptDigest: receiptDigest(receiptBody(claims, receipt)),
      })
    : auditEvent(deps, 'mfa.authn.factor_verified', about);
  const complete = (seen: UserFactors) => {
    // The user's policy state after this success (RTS counters, device, series), if it changes.
    const policyState = finished ? verifiedStateWrite(txn, seen, acr, now) : undefined;
    return transactions.complete(ref, {
      factorId: input.factorId,
      nowSeconds: now,
      owner: input.requestId,
      lifting: locking,
      ...('codeMac' in proof ? { codeMac: proof.codeMac } : {}),
      ...('step' in proof ? { step: proof.step } : {}),
      ...('spentCode' in proof ? { spentCode: proof.spentCode } : {}),
      ...(signed
        ? {
            codeMac: signed.nonce,
            signed: {
              signCount: signed.signCount,
              backupState: signed.backupState,
              userVerified: signed.userVerified,
            },
          }
        : {}),
      ...(finished
        ? {}
        : {
            partial: {
              proven,
              amr,
              stepsBefore: txn.steps ?? 0,
              verified,
              helping,
            },
          }),
      ...(policyState ? { policyState } : {}),
      // The event joins the chain in the completing write, folded on the item as read.
      audit: { events: [event], read: { item: seen } },
    });
  };
  let read = user;
  let done = await complete(read);
  // The policy state changed meanwhile (an exempt payment, a trusted payee): complete again on
  // the state the refused write saw. The code is still unspent: single use holds.
  for (let round = 1; !done.ok && stateMoved(read, done.seen); round += 1) {
    if (round >= MAX_STATE_ROUNDS) {
      // Never a wrong code: the code was right, the user's payments kept changing.
      throw new MfaError('invalid_state', "The user's payments changed meanwhile: verify again");
    }
    read = done.seen;
    done = await complete(read);
  }
  if (!done.ok) {
    const seenTxn = seenView(ref, done.seen)?.txn;
    if (!finished && seenTxn && (seenTxn.steps ?? 0) !== (txn.steps ?? 0)) {
      // Another factor of this transaction was verified at the same moment: its step stands,
      // this code is not spent; verify again to add this one.
      throw new MfaError('invalid_state', 'Another factor was verified meanwhile: verify again');
    }
    throw await completionRefusal(input, reserved, seenView(ref, done.seen), deps, now, locking);
  }

  if (!finished) {
    await publish(deps, done.recorded);
    return nextFactor(reserved, { level, proven }, helping, deps);
  }

  deps.log.info('authn succeeded', { transactionId: txn.transactionId, factorType: type });
  return {
    ok: true,
    body: { status: 'SUCCESS', transactionId: txn.transactionId },
    claims,
    receipt: { ...receipt, ...auditClaim(done.recorded) },
    // Published by the API function while it signs (`signedSuccess`).
    events: done.recorded,
  };
};

/**
 * One factor verified, the level not met yet (`sca` with one category): the transaction stays
 * open with the same state token; the answer names what is still needed and the factors that
 * can give it (`helping`, those still active).
 */
const nextFactor = async (
  { txn, user }: TransactionView,
  progress: { level: Level; proven: ScaCategory[] },
  helping: readonly string[],
  deps: TaskDeps,
): Promise<FlowOutcome> => {
  const factors = helping
    .map((id) => user.factors[id])
    .filter((f): f is StoredFactor => f?.status === 'ACTIVE')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  deps.log.info('authn factor verified, more needed', { transactionId: txn.transactionId });
  return {
    ok: true,
    body: {
      status: 'MFA_REQUIRED',
      transactionId: txn.transactionId,
      ...requirementOf({ level: progress.level, proven: progress.proven }),
      factors: factors.map(factorView),
    },
  };
};

type LockArgs = NonNullable<Parameters<TaskDeps['transactions']['reserveAttempt']>[1]['lock']>;

/**
 * The lock a factor's last allowed failure sets. Guessing never gets cheaper: each further
 * lock, until a day has passed after the last one ended, doubles its length (15 min, 30, 60,
 * … at most 24 h), so a guesser gets at most 10 guesses a day once the cap is reached.
 */
const nextLock = (
  factor: StoredFactor | undefined,
  now: number,
  lockSeconds: number,
  owner: string,
): LockArgs => {
  const earlier = (factor?.lockCountUntil ?? 0) > now ? (factor?.lockCount ?? 0) : 0;
  const seconds = Math.min(lockSeconds * 2 ** Math.min(earlier, 20), DAY_SECONDS);
  return {
    until: now + seconds,
    owner,
    count: earlier + 1,
    ...(factor?.lockCount === undefined ? {} : { seenCount: factor.lockCount }),
  };
};

/** Completing writes made again on a policy state that moved, before asking for a retry. */
const MAX_STATE_ROUNDS = 8;

/** Whether a refused write saw another policy state than the one this request read. */
const stateMoved = (read: UserFactors, seen: UserFactors | undefined): seen is UserFactors =>
  seen !== undefined && seen.policyRev !== read.policyRev;

/** The one refusal that is not final: the factor's last failure, reserved with its lock. */
const LAST_FAILURE = Symbol('last failure');

/**
 * Why no attempt could be taken, from the item as it is now. Nothing is counted. The factor
 * at its last allowed failure is not a refusal: the caller reserves that one with the lock.
 */
const reservationRefusal = (
  input: VerifyInput,
  found: TransactionView | undefined,
  deps: TaskDeps,
  now: number,
): MfaError | typeof LAST_FAILURE => {
  const { config } = deps;
  const { view, factor } = usableFactor(found, input.factorId, now);
  const { txn } = view;
  if ((txn.attempts ?? 0) >= config.MAX_ATTEMPTS)
    return new MfaError('locked_out', 'Too many wrong codes');
  const kind = kindOf(factor.type);
  if (kind.delivery || kind.signing) {
    const what = kind.signing ? 'challenge' : 'code';
    if (txn.status !== 'MFA_CHALLENGE' || txn.challengeFactorId !== input.factorId || !txn.codeMac)
      return new MfaError(
        'invalid_state',
        `No live challenge for this factor: request a ${what} first`,
      );
    if ((txn.codeExpiresAt ?? 0) <= now)
      return new MfaError('expired', `The ${what} has expired: request a new one`);
  }
  if (factor.failures >= lockThresholdOf(kindOf(factor.type), config) - 1) return LAST_FAILURE;
  return new MfaError('invalid_state', 'The transaction cannot be verified now');
};

/**
 * A wrong code (its attempt and the factor failure are already counted): 401 with what is
 * left, or 403 when it was the transaction's last attempt. When it was the factor's last
 * allowed failure, the factor is already locked by the reservation.
 */
const wrongCode = async (
  input: VerifyInput,
  { txn, user }: TransactionView,
  deps: TaskDeps,
  locking: boolean,
): Promise<MfaError> => {
  const { config } = deps;
  const remaining = Math.max(config.MAX_ATTEMPTS - (txn.attempts ?? 0), 0);
  const about = {
    clientId: user.clientId,
    userRef: input.userRef,
    transactionId: txn.transactionId,
    factorId: input.factorId,
    factorType: factorTypeOf(input.factorId),
  };
  const type = factorTypeOf(input.factorId);
  const byCredential = type !== undefined && kindOf(type).provenBy === 'credential';
  const error = wrongCodeError(
    remaining,
    'transaction',
    byCredential ? 'invalid_credential' : 'invalid_passcode',
  );
  const events = [
    auditEvent(deps, 'mfa.authn.failed', {
      ...about,
      code: error.code,
      attemptsRemaining: remaining,
    }),
  ];
  if (locking) {
    const { lockedUntil, lockCount } = user.factors[input.factorId] ?? {};
    events.push(
      auditEvent(deps, 'mfa.factor.locked', {
        ...about,
        ...(lockedUntil ? { lockedUntil } : {}),
        ...(lockCount ? { lockCount } : {}),
      }),
    );
    deps.log.warn('factor locked', { transactionId: txn.transactionId });
  }
  // The failure is decided after the reserving write (attempts are counted before any
  // comparison): its events take one more write, which also ends a transaction out of attempts.
  const read = { item: user };
  const ended =
    remaining === 0
      ? await deps.transactions.endTransaction(transactionRef(input), { events, read })
      : [];
  // Not ended here (it has attempts left, or ended meanwhile): the events on their own.
  if (ended.length > 0) await publish(deps, ended);
  else await recordAudit(deps, { clientId: user.clientId, userRef: input.userRef }, events, read);
  return error;
};

/**
 * A right code the item refused to complete with: read why. The transaction finished
 * elsewhere (409), the factor was deleted (404) or locked by another request (403), or, for
 * TOTP, its step was just used by another request (SMS/email: a newer code was sent): then it
 * is a wrong code, already counted.
 */
const completionRefusal = async (
  input: VerifyInput,
  reserved: TransactionView,
  found: TransactionView | undefined,
  deps: TaskDeps,
  now: number,
  locking: boolean,
): Promise<MfaError> => {
  const refusal = transactionRefusal(found, now);
  if (refusal) return refusal;
  const factor = found?.user.factors[input.factorId];
  if (factor?.status !== 'ACTIVE') return noFactor();
  // Locked meanwhile by another request of the same burst, or (TOTP) its step used, or (SMS,
  // email) a newer code sent: answer as a wrong code (counted and audited), so a right code
  // is not told apart from the burst's wrong ones by its answer.
  return wrongCode(input, reserved, deps, locking);
};
