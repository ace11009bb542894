import { ipInAnyCidr } from './cidr.js';
import { type AmountOperator, amountHolds } from './money.js';
import type { PolicyConditions } from './schema.js';
import { isRemembered } from './state.js';
import type { PolicyStart, PolicyState } from './types.js';

/** What a rule's conditions are checked against. */
export interface Facts {
  readonly start: PolicyStart;
  readonly state: PolicyState;
  readonly nowSeconds: number;
  readonly deviceRef?: string;
  readonly rememberDays?: number;
}

const OPERATORS: readonly AmountOperator[] = ['gt', 'gte', 'lt', 'lte'];

/**
 * Each condition, in the order they are checked. A condition on something the start does not
 * carry never holds (no country: neither `in` nor `notIn`; no transaction: no `amount`; no
 * `riskScore`: neither bound), so a missing field can neither trigger nor unlock a rule.
 */
const CHECKS: {
  readonly [K in keyof PolicyConditions]-?: (
    condition: NonNullable<PolicyConditions[K]>,
    facts: Facts,
  ) => boolean;
} = {
  country: (condition, { start }) => {
    const country = start.context?.country;
    if (country === undefined) return false;
    if (condition.in !== undefined) return condition.in.includes(country);
    return condition.notIn !== undefined && !condition.notIn.includes(country);
  },
  ip: (condition, { start }) => {
    const ip = start.context?.ip;
    return ip !== undefined && ipInAnyCidr(ip, condition.inCidr);
  },
  // Thresholds are in one currency: a payment in another never meets them (money.ts).
  amount: (condition, { start }) => {
    const payment = start.transaction;
    if (payment === undefined) return false;
    return OPERATORS.every((operator) => {
      const threshold = condition[operator];
      return (
        threshold === undefined ||
        amountHolds(payment, operator, { amount: threshold, currency: condition.currency })
      );
    });
  },
  riskScore: (condition, { start }) => {
    const score = start.context?.riskScore;
    if (score === undefined) return false;
    return (
      (condition.gt === undefined || score > condition.gt) &&
      (condition.lte === undefined || score <= condition.lte)
    );
  },
  deviceId: (_condition, facts) =>
    isRemembered(facts.state, facts.deviceRef, facts.rememberDays, facts.nowSeconds),
  consentId: (_condition, { start }) => start.consentId !== undefined && start.consentId !== '',
};

/**
 * The first condition of a rule that does not hold, or undefined when all given hold (an
 * empty `if` matches every start).
 */
export const firstUnmet = (
  conditions: PolicyConditions,
  facts: Facts,
): keyof PolicyConditions | undefined => {
  for (const name of Object.keys(CHECKS) as (keyof PolicyConditions)[]) {
    const condition = conditions[name];
    if (condition === undefined) continue;
    const check = CHECKS[name] as (condition: unknown, facts: Facts) => boolean;
    if (!check(condition, facts)) return name;
  }
  return undefined;
};
