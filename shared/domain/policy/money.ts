/**
 * Exact comparison of decimal amount strings ("250.00"), as the start body carries them: no
 * floating point anywhere. An amount becomes a BigInt of ten-thousandths (the most decimals an
 * amount may have, CLF's four), so "30.00" and "30" are equal and "30.01" is greater.
 */

/** The amount format of the start body (`shared/http/schemas.ts`): ≤ 12 integer digits, ≤ 4 decimals. */
export const AMOUNT_PATTERN = /^(0|[1-9]\d{0,11})(\.\d{1,4})?$/;

const SCALE_DIGITS = 4;

/** An amount with its ISO 4217 currency: a threshold or a payment. */
export interface Money {
  readonly amount: string;
  readonly currency: string;
}

export const isAmount = (value: string): boolean => AMOUNT_PATTERN.test(value);

/**
 * The amount in ten-thousandths. Throws a RangeError for a string that is not an amount: the
 * schemas let none through, so one here is a bug, not a caller's mistake.
 */
export const amountUnits = (amount: string): bigint => {
  if (!isAmount(amount)) throw new RangeError('Not a decimal amount string');
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole + fraction.padEnd(SCALE_DIGITS, '0'));
};

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export const compareAmounts = (a: string, b: string): -1 | 0 | 1 => {
  const left = amountUnits(a);
  const right = amountUnits(b);
  return left < right ? -1 : left > right ? 1 : 0;
};

const decimals = (amount: string): number => {
  const point = amount.indexOf('.');
  return point === -1 ? 0 : amount.length - point - 1;
};

/**
 * The exact sum, written with as many decimals as the longer of the two ("20.00" + "10.5" =
 * "30.50"). The sum may pass 12 integer digits (a cumulative total); it is still exact.
 */
export const addAmounts = (a: string, b: string): string => {
  const places = Math.max(decimals(a), decimals(b));
  const units = (amountUnits(a) + amountUnits(b)) / 10n ** BigInt(SCALE_DIGITS - places);
  const digits = units.toString().padStart(places + 1, '0');
  return places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
};

/** The comparison operators of a policy's `amount` condition. */
export type AmountOperator = 'gt' | 'gte' | 'lt' | 'lte';

const HOLDS: Readonly<Record<AmountOperator, (order: -1 | 0 | 1) => boolean>> = {
  gt: (order) => order > 0,
  gte: (order) => order >= 0,
  lt: (order) => order < 0,
  lte: (order) => order <= 0,
};

/**
 * Whether `payment <operator> threshold` holds. A threshold applies only to a payment in its
 * own currency: "gt 250.00 EUR" is false for any GBP amount, whatever the exchange rate.
 */
export const amountHolds = (payment: Money, operator: AmountOperator, threshold: Money): boolean =>
  payment.currency === threshold.currency &&
  HOLDS[operator](compareAmounts(payment.amount, threshold.amount));

/** Whether the payment is in the ceiling's currency and not above it (the exemptions' "≤"). */
export const withinCeiling = (payment: Money, ceiling: Money): boolean =>
  amountHolds(payment, 'lte', ceiling);
