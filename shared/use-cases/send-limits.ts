import { rateKeyForm } from '../domain/destination.js';
import { destinationHash } from '../domain/otp.js';
import { HOUR_SECONDS, secondsToNextHour } from '../domain/time.js';
import { MfaError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';
import { auditEvent, recordAudit } from './audit.js';

/**
 * The hourly counters a code send takes before anything is sent (SMS pumping, mail bombing):
 * - the destination, per app: another app's sends to the same number neither block this
 *   app's codes nor show in the count at which this app is refused. Activation codes (to an
 *   address nobody has proven yet) and challenges (to an active factor's) are counted apart:
 *   anyone can enroll someone else's number, and that must not block its owner's challenges;
 * - the user, for activation codes;
 * - the app's SMS budget (`SMS_PER_APP_PER_HOUR`, 0 = off): a hard cap on what one app can
 *   spend, whatever destinations it picks. Activation codes stop at half of it (rounded
 *   down: a budget of 1 sends none), so enrollments alone never leave the app's users without
 *   their challenges;
 * - the app's activation emails (`EMAIL_ACTIVATIONS_PER_APP_PER_HOUR`, 0 = off): addresses
 *   nobody has proven, which an attacker can enroll by the thousand to get the app's mail
 *   bounced (and the SES account paused). Challenges go to proven addresses only.
 * All are taken at once (concurrent conditional writes); if any refuses, the others are given
 * back, so a refused send costs nothing.
 */
export interface SendLimit {
  readonly key: string;
  readonly limit: number;
  readonly kind: 'destination' | 'user' | 'sms_budget' | 'email_budget';
}

export interface SendTarget {
  readonly clientId: string;
  readonly channel: 'sms' | 'email';
  readonly destination: string;
  /** Set for activation codes: they also count per user, and apart from challenges. */
  readonly userId?: string;
}

/** Rate-limit key of a destination for one app, of its rate form (an email's `+tag` dropped, …). */
const destinationRateKey = (otpKey: Uint8Array, target: SendTarget) =>
  destinationHash(
    otpKey,
    `${target.clientId}:${target.channel}:${rateKeyForm(target.channel, target.destination)}`,
  );

export const sendLimits = (
  deps: Pick<TaskDeps, 'config'>,
  otpKey: Uint8Array,
  target: SendTarget,
): SendLimit[] => {
  const { config } = deps;
  const activation = target.userId !== undefined;
  const limits: SendLimit[] = [
    {
      // Challenges (`dest:`) and activation codes (`enroll:`) apart.
      key: `${activation ? 'enroll' : 'dest'}:${destinationRateKey(otpKey, target)}`,
      limit: config.SENDS_PER_DESTINATION_PER_HOUR,
      kind: 'destination',
    },
  ];
  if (activation) {
    limits.push({
      key: `user:${target.clientId}:${target.userId}`,
      limit: config.SENDS_PER_USER_PER_HOUR,
      kind: 'user',
    });
  }
  if (target.channel === 'sms' && config.SMS_PER_APP_PER_HOUR > 0) {
    const budget = config.SMS_PER_APP_PER_HOUR;
    limits.push({
      key: `sms:${target.clientId}`,
      limit: activation ? Math.floor(budget / 2) : budget,
      kind: 'sms_budget',
    });
  }
  const emails = config.EMAIL_ACTIVATIONS_PER_APP_PER_HOUR;
  if (target.channel === 'email' && activation && emails > 0) {
    limits.push({ key: `email-enroll:${target.clientId}`, limit: emails, kind: 'email_budget' });
  }
  return limits;
};

/** What the audit event of a refused send names (never the destination). */
export interface SendAbout {
  readonly clientId: string;
  readonly userRef: string;
  readonly transactionId?: string;
  readonly factorId: string;
}

/**
 * Takes every limit, or none: returns the keys taken (to give back if the send fails later),
 * or throws 429 `rate_limited` with `Retry-After` (the next clock hour). An exhausted SMS
 * budget is also an audit event and a log line the `SmsBudgetExceeded` metric counts.
 */
export const takeSendLimits = async (
  deps: TaskDeps,
  limits: readonly SendLimit[],
  nowSeconds: number,
  about: SendAbout,
): Promise<string[]> => {
  const { rates } = deps;
  const results = await Promise.all(
    limits.map((limit) => rates.consume(limit.key, limit.limit, HOUR_SECONDS, nowSeconds)),
  );
  const refused = limits.filter((_, i) => !results[i]);
  if (refused.length === 0) return limits.map((limit) => limit.key);
  await releaseSendLimits(
    deps,
    limits.filter((_, i) => results[i]).map((limit) => limit.key),
    nowSeconds,
  );
  const budget = refused.find((limit) => limit.kind === 'sms_budget');
  if (budget) {
    deps.log.warn('sms budget exceeded', { clientId: about.clientId, limit: budget.limit });
    await recordAudit(deps, { clientId: about.clientId, userRef: about.userRef }, [
      auditEvent(deps, 'mfa.sms.budget_exceeded', {
        clientId: about.clientId,
        userRef: about.userRef,
        ...(about.transactionId ? { transactionId: about.transactionId } : {}),
        factorId: about.factorId,
        factorType: 'sms',
        limit: budget.limit,
      }),
    ]);
  }
  const emails = refused.find((limit) => limit.kind === 'email_budget');
  if (emails) {
    deps.log.warn('email activation budget exceeded', {
      clientId: about.clientId,
      limit: emails.limit,
    });
  }
  throw new MfaError(
    'rate_limited',
    budget
      ? 'This app has sent its SMS budget for this hour; try later'
      : emails
        ? 'This app has sent its activation emails for this hour; try later'
        : 'Too many codes sent; try later',
    {},
    { 'retry-after': String(secondsToNextHour(nowSeconds)) },
  );
};

/** Gives back counters taken for a send that did not happen. */
export const releaseSendLimits = async (
  deps: Pick<TaskDeps, 'rates'>,
  keys: readonly string[],
  nowSeconds: number,
): Promise<void> => {
  await Promise.all(keys.map((key) => deps.rates.release(key, HOUR_SECONDS, nowSeconds)));
};
