import { factorView } from '../domain/factor-view.js';
import { macEquals, matchTotpStep, otpMac } from '../domain/otp.js';
import { userRef } from '../domain/state-token.js';
import { totpCandidates } from '../domain/totp.js';
import { MfaError, wrongCodeError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { StoredFactor } from '../ports/store.js';
import { audit, auditFactor } from './audit.js';
import { activationBinding, resendActivation } from './factor-activation.js';
import { requireRecentMfa } from './factor-step-up.js';

interface FactorRef {
  readonly clientId: string;
  readonly userId: string;
  readonly factorId: string;
  /** The user's MFA token (`X-MFA-Token`), for stepped-up factor changes. */
  readonly mfaToken?: string;
}

/**
 * The factor, or 404: another app's factors are as invisible as missing ones. A change of
 * it (activate, resend, delete) also passes the step-up check when factor changes are
 * stepped up: a factor enrolled while the user had none cannot be activated later without it.
 */
const findFactor = async (
  deps: TaskDeps,
  ref: FactorRef,
): Promise<{ factor: StoredFactor; stepUpTransactionId?: string }> => {
  const user = await deps.factors.getUser(ref.clientId, ref.userId);
  const factor = user?.factors[ref.factorId];
  if (!factor) throw new MfaError('not_found', 'No such factor');
  return { factor, stepUpTransactionId: await requireRecentMfa(deps, { ...ref, user }) };
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
  const { factor, stepUpTransactionId } = await findFactor(deps, ref);
  if (
    !(await deps.factors.remove(ref.clientId, ref.userId, ref.factorId, factor.destinationHash))
  ) {
    throw new MfaError('not_found', 'No such factor');
  }
  await auditFactor(deps, 'mfa.factor.deleted', {
    clientId: ref.clientId,
    userId: ref.userId,
    factorId: ref.factorId,
    factorType: factor.type,
    stepUpTransactionId,
  });
  deps.log.info('factor deleted', { factorType: factor.type });
};

export const resendFactorCode = async (deps: TaskDeps, ref: FactorRef) =>
  resendActivation(deps, {
    clientId: ref.clientId,
    userId: ref.userId,
    factor: (await findFactor(deps, ref)).factor,
  });

/**
 * Activate: the code is compared as an HMAC in constant time (TOTP: ±1 step); the write that
 * activates is conditional on the same code, so it is good once. Wrong codes count: at the
 * limit the activation ends (403) until a new code is sent.
 */
export const activateFactor = async (deps: TaskDeps, ref: FactorRef & { passCode: string }) => {
  const { config, clock, factors, otpKeys } = deps;
  const now = epochSeconds(clock.now());
  const { factor, stepUpTransactionId } = await findFactor(deps, ref);
  const activation = factor.activation;
  if (factor.status === 'ACTIVE' || !activation)
    throw new MfaError('invalid_state', 'The factor is already active');
  if (activation.attempts >= config.MAX_ATTEMPTS) {
    throw new MfaError(
      'locked_out',
      'Too many wrong codes: request a new code (sms/email) or enroll again',
    );
  }
  if (activation.expiresAt <= now) throw new MfaError('expired', 'The activation code has expired');

  const key = await otpKeys.otpMacKey();
  const binding = activationBinding(ref.clientId, ref.userId, ref.factorId);
  const submitted = otpMac(key, 'activation', binding, ref.passCode);
  let proof: { codeMac: string } | { step: number } | undefined;
  if (factor.type === 'totp' && factor.sealedSecret) {
    const secret = await deps.secretBox.open(factor.sealedSecret, {
      clientId: ref.clientId,
      userId: ref.userId,
      factorId: ref.factorId,
    });
    const step = matchTotpStep({
      candidates: totpCandidates(secret, now),
      key,
      purpose: 'activation',
      binding,
      submittedMac: submitted,
    });
    if (step !== undefined) proof = { step };
  } else if (activation.codeMac && macEquals(activation.codeMac, submitted)) {
    proof = { codeMac: submitted };
  }

  if (proof) {
    if (
      !(await factors.activate(
        ref.clientId,
        ref.userId,
        ref.factorId,
        proof,
        now,
        config.MAX_ATTEMPTS,
      ))
    ) {
      throw new MfaError('invalid_state', 'The factor changed meanwhile; read it again');
    }
    await auditFactor(deps, 'mfa.factor.activated', {
      clientId: ref.clientId,
      userId: ref.userId,
      factorId: ref.factorId,
      factorType: factor.type,
      stepUpTransactionId,
    });
    deps.log.info('factor activated', { factorType: factor.type });
    return { factor: factorView({ ...factor, status: 'ACTIVE' }) };
  }
  const attempts = await factors.activationFailed(ref.clientId, ref.userId, ref.factorId);
  if (attempts === undefined)
    throw new MfaError('invalid_state', 'The factor changed meanwhile; read it again');
  const remaining = Math.max(config.MAX_ATTEMPTS - attempts, 0);
  const error = wrongCodeError(remaining, 'activation');
  await audit(deps, 'mfa.factor.activation_failed', {
    clientId: ref.clientId,
    userRef: userRef(ref.userId),
    factorId: ref.factorId,
    factorType: factor.type,
    code: error.code,
    attemptsRemaining: remaining,
  });
  throw error;
};
