/**
 * The text of every message with a code. With a payment (SCA dynamic linking) the message
 * names the amount, currency and payee, so the user sees what they approve.
 */
export interface PaymentDetails {
  readonly amount: string;
  readonly currency: string;
  readonly payee: string;
}

const minutes = (seconds: number) => Math.max(1, Math.round(seconds / 60));

export const challengeText = (code: string, ttlSeconds: number, payment?: PaymentDetails) =>
  payment
    ? `${code} is your code to approve a payment of ${payment.amount} ${payment.currency} to ${payment.payee}. It expires in ${minutes(ttlSeconds)} min. Never share it.`
    : `${code} is your verification code. It expires in ${minutes(ttlSeconds)} min. Never share it.`;

export const activationText = (code: string, ttlSeconds: number) =>
  `${code} is your code to confirm it for sign-in checks. It expires in ${minutes(ttlSeconds)} min. Never share it.`;

export const CHALLENGE_SUBJECT = 'Your verification code';
export const ACTIVATION_SUBJECT = 'Confirm your email for verification codes';
