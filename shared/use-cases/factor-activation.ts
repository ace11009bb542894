import type { Activation, StepUpGuard, StoredFactor } from '../domain/entities.js';
import { ACTIVATION_SUBJECT, activationText } from '../domain/messages.js';
import { newOtp, otpMac } from '../domain/otp.js';
import { userRef } from '../domain/state-token.js';
import { iso } from '../domain/time.js';
import { MfaError } from '../errors.js';
import { factorView, kindOf } from '../factors/registry.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { deliver } from '../ports/messenger.js';
import { guardRefusal } from './factor-step-up.js';
import { releaseSendLimits, sendLimits, takeSendLimits } from './send-limits.js';

/** 429 `resend_too_soon`: the cooldown since the last code has not passed. */
export const resendTooSoon = (seconds: number) =>
  new MfaError(
    'resend_too_soon',
    `Wait ${seconds} s before asking for another code`,
    {},
    {
      'retry-after': String(seconds),
    },
  );

/** Binding of an activation code: the app, the user and the factor. */
export const activationBinding = (clientId: string, userId: string, factorId: string) =>
  `${clientId}:${userId}:${factorId}`;

export interface ActivationTarget {
  readonly clientId: string;
  readonly userId: string;
  readonly factor: StoredFactor;
}

/**
 * Sends an activation code for an sms/email factor. The destination's and the user's hourly
 * limits are taken first; `store` records the code (a new factor, or a renewed activation
 * within the cooldown). Anything that fails after the limits were taken gives them back.
 */
export const sendActivationCode = async (
  deps: TaskDeps,
  target: ActivationTarget,
  /** Records the code; may return how to take the record back if the code is not delivered. */
  store: (activation: Activation) => Promise<(() => Promise<unknown>) | undefined>,
): Promise<Activation> => {
  const { config, clock, random, otpKeys, messenger, log } = deps;
  const { clientId, userId, factor } = target;
  const destination = factor.destination as string;
  const now = epochSeconds(clock.now());
  const key = await otpKeys.otpMacKey();
  const code = newOtp(random, config.OTP_DIGITS);
  const activation: Activation = {
    codeMac: otpMac(key, 'activation', activationBinding(clientId, userId, factor.factorId), code),
    expiresAt: now + config.OTP_TTL_SECONDS,
    attempts: 0,
    lastSentAt: now,
  };
  const channel = kindOf(factor.type).delivery;
  if (!channel) throw new MfaError('invalid_state', 'This kind of factor has no code to send');
  const taken = await takeSendLimits(
    deps,
    sendLimits(deps, key, { clientId, channel, destination, userId }),
    now,
    { clientId, userRef: userRef(userId), factorId: factor.factorId },
  );
  const giveBack = () => releaseSendLimits(deps, taken, now);
  let takeBack: (() => Promise<unknown>) | undefined;
  try {
    takeBack = await store(activation);
  } catch (error) {
    await giveBack();
    throw error;
  }
  try {
    await deliver(messenger, channel, {
      to: destination,
      subject: ACTIVATION_SUBJECT,
      text: activationText(code, config.OTP_TTL_SECONDS),
    });
  } catch (error) {
    await giveBack();
    await takeBack?.();
    log.error('activation delivery failed', { error, factorType: factor.type });
    throw new MfaError('delivery_failed', 'The code could not be delivered');
  }
  log.info('activation code sent', { factorType: factor.type });
  return activation;
};

/** A fresh activation code for a pending sms/email factor, at most once per cooldown. */
export const resendActivation = async (
  deps: TaskDeps,
  target: { clientId: string; userId: string; factor: StoredFactor; guard?: StepUpGuard },
): Promise<Record<string, unknown>> => {
  const { factor, guard } = target;
  if (factor.status !== 'PENDING_ACTIVATION')
    throw new MfaError('invalid_state', 'The factor is already active');
  if (!kindOf(factor.type).delivery)
    throw new MfaError('invalid_state', 'This kind of factor has no code to resend');
  const now = epochSeconds(deps.clock.now());
  const cooldown = deps.config.RESEND_COOLDOWN_SECONDS;
  const wait = (factor.activation?.lastSentAt ?? 0) + cooldown - now;
  if (wait > 0) throw resendTooSoon(wait);
  const activation = await sendActivationCode(deps, target, async (activation) => {
    const renewed = await deps.factors.renewActivation(
      target.clientId,
      target.userId,
      factor.factorId,
      activation,
      { sentBefore: now - cooldown, guard },
    );
    if (!renewed.ok) throw guardRefusal(deps, renewed.seen, guard) ?? resendTooSoon(cooldown);
    return undefined;
  });
  return { factor: factorView(factor), activation: { expiresAt: iso(activation.expiresAt) } };
};
