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

/**
 * What a token says of the payment it approved (or was exempt for): `authorization_details`,
 * and `payee_account` when the start named the payee's account, so a resource server can
 * check the account the approval (and a trusted-payee exemption) was decided on.
 */
export const paymentClaims = (payment: PolicyTransaction | undefined) =>
  payment
    ? {
        authorization_details: paymentDetails(payment),
        ...(payment.payeeAccount ? { payee_account: payment.payeeAccount } : {}),
      }
    : {};
