import type { PaymentInitiationDetail } from '../domain/mfa-token.js';
import type { PolicyTransaction } from '../domain/policy/index.js';

/** The token's RFC 9396 `authorization_details` for a payment (SCA dynamic linking). */
export const paymentDetails = (payment: PolicyTransaction): PaymentInitiationDetail[] => [
  {
    type: 'payment_initiation',
    instructedAmount: { amount: payment.amount, currency: payment.currency },
    creditorName: payment.payee,
  },
];
