import { ACTIVATION_SUBJECT, activationText } from '../domain/messages.js';
import { destinationHash, newOtp, otpMac } from '../domain/otp.js';
import { HOUR_SECONDS, secondsToNextHour } from '../domain/time.js';
import { MfaError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { Activation, StoredFactor } from '../ports/store.js';

/** Binding of an activation code: the app, the user and the factor. */
export const activationBinding = (clientId: string, userId: string, factorId: string) =>
  `${clientId}:${userId}:${factorId}`;

/** Rate-limit key of a destination; challenges and activations share it (SMS pumping). */
export const destinationRateKey = (key: Uint8Array, type: string, destination: string) =>
  `dest:${destinationHash(key, `${type}:${destination}`)}`;

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
  const { config, clock, random, otpKeys, rates, messenger, log } = deps;
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
  const limits = [
    {
      key: destinationRateKey(key, factor.type, destination),
      limit: config.SENDS_PER_DESTINATION_PER_HOUR,
    },
    { key: `user:${clientId}:${userId}`, limit: config.SENDS_PER_USER_PER_HOUR },
  ];
  const taken: string[] = [];
  const giveBack = () => Promise.all(taken.map((taken) => rates.release(taken, HOUR_SECONDS, now)));
  for (const { key: rateKey, limit } of limits) {
    if (!(await rates.consume(rateKey, limit, HOUR_SECONDS, now))) {
      await giveBack();
      throw new MfaError(
        'rate_limited',
        'Too many codes sent; try later',
        {},
        {
          'retry-after': String(secondsToNextHour(now)),
        },
      );
    }
    taken.push(rateKey);
  }
  let takeBack: (() => Promise<unknown>) | undefined;
  try {
    takeBack = await store(activation);
  } catch (error) {
    await giveBack();
    throw error;
  }
  try {
    const text = activationText(code, config.OTP_TTL_SECONDS);
    if (factor.type === 'sms') await messenger.sendSms(destination, text);
    else await messenger.sendEmail(destination, ACTIVATION_SUBJECT, text);
  } catch (error) {
    await giveBack();
    await takeBack?.();
    log.error('activation delivery failed', { error, factorType: factor.type });
    throw new MfaError('delivery_failed', 'The code could not be delivered');
  }
  log.info('activation code sent', { factorType: factor.type });
  return activation;
};
