import { addAmounts, compareAmounts, withinCeiling } from './money.js';
import type { PolicyExemptions } from './schema.js';
import { seriesKey } from './state.js';
import type { PolicyState, PolicyTransaction } from './types.js';

/** Whether an exemption applies; when not, a short reason for the trace. */
export type ExemptionCheck =
  | { readonly applies: true }
  | { readonly applies: false; readonly why: string };

const YES: ExemptionCheck = { applies: true };
const no = (why: string): ExemptionCheck => ({ applies: false, why });

/** The RTS currency: a TRA ceiling given without one is in euro (Art. 18 and its Annex). */
export const TRA_DEFAULT_CURRENCY = 'EUR';

/**
 * RTS Art. 16 (low-value remote payments): the amount is at most
 * `maxAmount` (€30.00 exempt, €30.01 not), and, counting this payment, the payments made
 * without SCA since the last SCA are at most `maxCount` (the 5th exempt, the 6th not) and
 * total at most `maxCumulative` (€100.00 exempt, €100.01 not). Art. 16 lets a provider use
 * either (b) the €100 total or (c) the five payments; requiring both is the stricter reading.
 * Only payments in the exemption's currency; their total is kept per currency.
 */
export const lowValue = (
  config: NonNullable<PolicyExemptions['lowValue']>,
  payment: PolicyTransaction,
  state: PolicyState,
): ExemptionCheck => {
  const ceiling = { amount: config.maxAmount, currency: config.currency };
  if (payment.currency !== config.currency) return no(`currency is not ${config.currency}`);
  if (!withinCeiling(payment, ceiling)) return no('amount above maxAmount');
  const count = (state.sinceSca?.count ?? 0) + 1;
  if (count > config.maxCount)
    return no(`payment ${count} since the last SCA (max ${config.maxCount})`);
  const total = addAmounts(state.sinceSca?.cumulative[config.currency] ?? '0', payment.amount);
  if (compareAmounts(total, config.maxCumulative) > 0)
    return no('cumulative amount above maxCumulative');
  return YES;
};

/**
 * RTS Art. 13: the payee is on the user's list of trusted beneficiaries (added with SCA),
 * matched by `payeeAccount`: a payment without one cannot use it.
 */
export const trustedBeneficiary = (
  payment: PolicyTransaction,
  state: PolicyState,
): ExemptionCheck => {
  if (payment.payeeAccount === undefined) return no('no payeeAccount');
  return Object.hasOwn(state.trustedPayees ?? {}, payment.payeeAccount)
    ? YES
    : no('payee not trusted');
};

/**
 * RTS Art. 14: a payment of a series of the same amount and payee whose first payment was
 * approved with SCA. The app marks it `recurring`; amount, currency, payee account and payee
 * must all be those of the series (`seriesKey`).
 */
export const recurring = (payment: PolicyTransaction, state: PolicyState): ExemptionCheck => {
  if (payment.recurring !== true) return no('not marked recurring');
  return Object.hasOwn(state.recurringSeries ?? {}, seriesKey(payment))
    ? YES
    : no('no series approved with SCA');
};

/**
 * RTS Art. 18 (transaction risk analysis): the app's risk score is given and at most
 * `maxRiskScore` (20 exempt, 21 not), and the amount at most `maxAmount` in the ceiling's
 * currency. Art. 18/19 tie the ceiling (€100/€250/€500) to the provider's fraud rate: the
 * operator, not this service, answers for the value chosen.
 */
export const transactionRiskAnalysis = (
  config: NonNullable<PolicyExemptions['tra']>,
  payment: PolicyTransaction,
  riskScore: number | undefined,
): ExemptionCheck => {
  const currency = config.currency ?? TRA_DEFAULT_CURRENCY;
  if (riskScore === undefined) return no('no riskScore');
  if (riskScore > config.maxRiskScore) return no('riskScore above maxRiskScore');
  if (payment.currency !== currency) return no(`currency is not ${currency}`);
  return withinCeiling(payment, { amount: config.maxAmount, currency })
    ? YES
    : no('amount above maxAmount');
};
