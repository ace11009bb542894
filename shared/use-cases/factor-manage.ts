import type { FactorType, StepUpGuard, StoredFactor, UserFactors } from '../domain/entities.js';
import { factorTypeOf } from '../domain/factor-id.js';
import { otpMac } from '../domain/otp.js';
import { userRef } from '../domain/state-token.js';
import { MfaError, wrongCodeError } from '../errors.js';
import { requireProofMember } from '../factors/kind.js';
import { factorView, kindOf } from '../factors/registry.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { auditEvent, factorEvent, publish, recordAudit } from './audit.js';
import { activationBinding, resendActivation } from './factor-activation.js';
import { guardRefusal, requireRecentMfa, type StepUp, userForChange } from './factor-step-up.js';

interface FactorRef {
  readonly clientId: string;
  readonly userId: string;
  readonly factorId: string;
  /** The user's MFA token (`X-MFA-Token`), for stepped-up factor changes. */
  readonly mfaToken?: string;
  /** The app's policy counts email as possession (the step-up counts categories so). */
  readonly emailIsPossession?: boolean;
}

/**
 * The factor, or 404: another app's factors are as invisible as missing ones. A change of
 * it (activate, resend, delete) first passes the step-up check when factor changes are
 * stepped up (a missing or invalid token is 401 before any 404: no probing of factor ids),
 * and its write then holds the step-up guard.
 */
const findFactor = async (
  deps: TaskDeps,
  ref: FactorRef,
): Promise<{ factor: StoredFactor; stepUp: StepUp; guard?: StepUpGuard }> => {
  const user = await userForChange(deps, ref.clientId, ref.userId);
  const stepUp = await requireRecentMfa(deps, { ...ref, user });
  const factor = user?.factors[ref.factorId];
  if (!factor) throw notFound();
  return { factor, stepUp, guard: stepUp.guardFor(ref.factorId) };
};

const notFound = () => new MfaError('not_found', 'No such factor');
const changedMeanwhile = () =>
  new MfaError('invalid_state', 'The factor changed meanwhile; read it again');

/** Why a guarded write on the factor was refused, from the item the write saw. */
const refusalOf = (
  deps: TaskDeps,
  ref: FactorRef,
  seen: UserFactors | undefined,
  guard: StepUpGuard | undefined,
) => {
  if (!seen?.factors[ref.factorId]) return notFound();
  return guardRefusal(deps, seen, guard) ?? changedMeanwhile();
};

export const listFactors = async (deps: TaskDeps, args: { clientId: string; userId: string }) => {
  const user = await deps.factors.getUser(args.clientId, args.userId);
  const factors = Object.values(user?.factors ?? {}).sort((a, b) =>
    a.createdAt.localeCompare(b.createdAt),
  );
  return { factors: factors.map(factorView) };
};

/**
 * Delete: the factor and its sealed secret are removed for good. With factor changes stepped
 * up, the user proves a recent MFA first.
 */
export const deleteFactor = async (deps: TaskDeps, ref: FactorRef): Promise<void> => {
  const { factor, stepUp, guard } = await findFactor(deps, ref);
  const removed = await deps.factors.remove(ref.clientId, ref.userId, factor, {
    ...(guard ? { guard } : {}),
    audit: { events: [changeEvent(deps, 'mfa.factor.deleted', ref, factor.type, stepUp)] },
  });
  if (!removed.ok) throw refusalOf(deps, ref, removed.seen, guard);
  await publish(deps, removed.recorded);
  deps.log.info('factor deleted', { factorType: factor.type });
};

/** A stepped-up factor change's audit event. */
const changeEvent = (
  deps: TaskDeps,
  type: 'mfa.factor.activated' | 'mfa.factor.deleted',
  ref: FactorRef,
  factorType: FactorType,
  stepUp: StepUp,
) =>
  factorEvent(deps, type, {
    clientId: ref.clientId,
    userId: ref.userId,
    factorId: ref.factorId,
    factorType,
    ...(stepUp.transactionId ? { stepUpTransactionId: stepUp.transactionId } : {}),
  });

export const resendFactorCode = async (deps: TaskDeps, ref: FactorRef) => {
  const { factor, guard } = await findFactor(deps, ref);
  return resendActivation(deps, {
    clientId: ref.clientId,
    userId: ref.userId,
    factor,
    guard,
  });
};

/**
 * Activate: one conditional write counts the attempt before the code is compared (a burst of
 * guesses gets no more comparisons than `MAX_ATTEMPTS`); the code is compared as an HMAC in
 * constant time (TOTP: ±1 step); the write that activates is conditional on the same code
 * (good once) and on the step-up guard. A right code that cannot activate because a newer
 * code replaced it answers as a wrong one. At the limit the activation ends (403) until a
 * new code is sent.
 */
export const activateFactor = async (
  deps: TaskDeps,
  ref: FactorRef & { passCode?: string; credential?: unknown },
) => {
  const { config, clock, factors, otpKeys } = deps;
  const now = epochSeconds(clock.now());
  // The body names what the factor's kind is proven by (a code, or a passkey's registration).
  const type = factorTypeOf(ref.factorId);
  const byCredential = type !== undefined && kindOf(type).provenBy === 'credential';
  if (type) requireProofMember(kindOf(type), ref);
  const { factor, stepUp, guard } = await findFactor(deps, ref);
  const refusal = activationRefusal(factor, now, config.MAX_ATTEMPTS);
  if (refusal) throw refusal;
  const reserved = await factors.reserveActivationAttempt(ref.clientId, ref.userId, ref.factorId, {
    nowSeconds: now,
    maxAttempts: config.MAX_ATTEMPTS,
  });
  if (!reserved.ok) {
    const current = reserved.seen?.factors[ref.factorId];
    throw current
      ? (activationRefusal(current, now, config.MAX_ATTEMPTS) ?? changedMeanwhile())
      : notFound();
  }
  const attempts = reserved.value;

  const key = await otpKeys.otpMacKey();
  const binding = activationBinding(ref.clientId, ref.userId, ref.factorId);
  const proof = await kindOf(factor.type).activationProof(deps, {
    clientId: ref.clientId,
    userId: ref.userId,
    factor,
    nowSeconds: now,
    key,
    binding,
    ...(ref.passCode === undefined
      ? {}
      : { submittedMac: otpMac(key, 'activation', binding, ref.passCode) }),
    ...(ref.credential === undefined ? {} : { credential: ref.credential }),
  });

  // An activation is spent by its code or step; a kind with nothing to spend has no activation.
  if (proof && ('codeMac' in proof || 'step' in proof)) {
    const activated = await factors.activate(ref.clientId, ref.userId, ref.factorId, proof, {
      nowSeconds: now,
      guard,
      audit: { events: [changeEvent(deps, 'mfa.factor.activated', ref, factor.type, stepUp)] },
    });
    if (activated.ok) {
      await publish(deps, activated.recorded);
      deps.log.info('factor activated', { factorType: factor.type });
      return { factor: factorView({ ...factor, status: 'ACTIVE' }) };
    }
    const current = activated.seen?.factors[ref.factorId];
    if (!current) throw notFound();
    const blocked = guardRefusal(deps, activated.seen, guard);
    if (blocked) throw blocked;
    if (current.status === 'ACTIVE')
      throw new MfaError('invalid_state', 'The factor is already active');
    // A newer code replaced this one meanwhile: as wrong as any other code.
  }
  const remaining = Math.max(config.MAX_ATTEMPTS - attempts, 0);
  const error = wrongCodeError(
    remaining,
    'activation',
    byCredential ? 'invalid_credential' : 'invalid_passcode',
  );
  // Decided after the reserving write (the attempt is counted before comparing): one more.
  await recordAudit(deps, { clientId: ref.clientId, userRef: userRef(ref.userId) }, [
    auditEvent(deps, 'mfa.factor.activation_failed', {
      clientId: ref.clientId,
      userRef: userRef(ref.userId),
      factorId: ref.factorId,
      factorType: factor.type,
      code: error.code,
      attemptsRemaining: remaining,
    }),
  ]);
  throw error;
};

/** Why an activation cannot take a code now (undefined: it can). */
const activationRefusal = (factor: StoredFactor, now: number, maxAttempts: number) => {
  const activation = factor.activation;
  if (factor.status === 'ACTIVE' || !activation)
    return new MfaError('invalid_state', 'The factor is already active');
  if (activation.attempts >= maxAttempts) {
    return new MfaError(
      'locked_out',
      'Too many wrong codes: request a new code (sms/email) or enroll again',
    );
  }
  if (activation.expiresAt <= now)
    return new MfaError('expired', 'The activation code has expired');
  return undefined;
};
