import { type Facts, firstUnmet } from './conditions.js';
import {
  type ExemptionCheck,
  lowValue,
  recurring,
  transactionRiskAnalysis,
  trustedBeneficiary,
} from './exemptions.js';
import type { Level, Policy, PolicyRule } from './schema.js';
import { isRemembered, deviceRef as refOf } from './state.js';
import type { PolicyStart, PolicyState } from './types.js';

export type Decision = 'deny' | 'exempt' | 'require';

/** API.md's exemption names, plus `policy_rule` for a rule whose `then` is "exempt". */
export type Exemption =
  | 'low_value'
  | 'trusted_beneficiary'
  | 'recurring'
  | 'transaction_risk_analysis'
  | 'remembered_device'
  | 'policy_rule';

/** One step of the evaluation, for `policy test` and logs: `rule:<id>`, `exemption:<name>`, `default`. */
export interface TraceEntry {
  readonly step: string;
  readonly outcome: string;
}

export interface PolicyDecision {
  readonly decision: Decision;
  /** The rule that decided (deny, a rule's exempt or require). */
  readonly rule?: string;
  readonly exemption?: Exemption;
  /** What to ask for when `decision` is `require`. */
  readonly level?: Level;
  readonly trace: readonly TraceEntry[];
}

export interface EvaluateInput {
  /** The app's policy; undefined: none, which is today's behaviour (`require: "mfa"`). */
  readonly policy?: Policy;
  readonly start: PolicyStart;
  /** The user's policy state; `{}` for an unknown user, so a deny reads the same for both. */
  readonly state: PolicyState;
  /** epoch seconds */
  readonly now: number;
  /** The stored form of `context.deviceId`; default `deviceRef(context.deviceId)`. */
  readonly deviceRef?: string;
}

const thenText = (rule: PolicyRule): string =>
  typeof rule.then === 'string' ? rule.then : `require ${rule.then.require}`;

/**
 * The policy's decision for a start, pure: time is `now`, the user's history is `state`.
 * 1. Deny rules first, over the whole list: a deny that matches always wins, whatever comes
 *    before it, and no exemption applies (the issue: "exemptions never apply when a deny
 *    rule matches").
 * 2. The other rules in order, first match wins: "exempt" → `policy_rule`; a `require` sets
 *    the level and stops (no exemption is tried).
 * 3. The exemptions, in API.md's order: lowValue, trustedBeneficiaries, recurring, tra (each
 *    needs a transaction), then rememberedDevice, which is no RTS payment exemption: it
 *    spares a remembered device a step-up for a start without a payment, never a payment.
 * 4. `default`, else `require: "mfa"`.
 *
 * @example
 * evaluatePolicy({ policy: defaultPolicy(), start: { context: { country: 'KP' } }, state: {}, now })
 * // { decision: 'deny', rule: 'sanctioned-jurisdictions', trace: [...] }
 */
export const evaluatePolicy = (input: EvaluateInput): PolicyDecision => {
  const { policy, start, state, now } = input;
  const trace: TraceEntry[] = [];
  if (policy === undefined) {
    trace.push({ step: 'default', outcome: 'no policy: require mfa' });
    return { decision: 'require', level: 'mfa', trace };
  }
  const deviceId = start.context?.deviceId;
  const facts: Facts = {
    start,
    state,
    nowSeconds: now,
    deviceRef: input.deviceRef ?? (deviceId === undefined ? undefined : refOf(deviceId)),
    rememberDays: policy.rememberDevice?.days,
  };
  const denies = policy.rules.filter((rule) => rule.then === 'deny');
  const others = policy.rules.filter((rule) => rule.then !== 'deny');
  for (const rules of [denies, others]) {
    for (const rule of rules) {
      const unmet = firstUnmet(rule.if, facts);
      const step = `rule:${rule.id}`;
      if (unmet !== undefined) {
        trace.push({ step, outcome: `no match (${unmet})` });
        continue;
      }
      trace.push({ step, outcome: `match: ${thenText(rule)}` });
      if (rule.then === 'deny') return { decision: 'deny', rule: rule.id, trace };
      if (rule.then === 'exempt') {
        return { decision: 'exempt', rule: rule.id, exemption: 'policy_rule', trace };
      }
      return { decision: 'require', rule: rule.id, level: rule.then.require, trace };
    }
  }
  const exemption = firstExemption(policy, facts, trace);
  if (exemption !== undefined) return { decision: 'exempt', exemption, trace };
  const level = policy.default?.require ?? 'mfa';
  trace.push({ step: 'default', outcome: `require ${level}` });
  return { decision: 'require', level, trace };
};

const firstExemption = (
  policy: Policy,
  facts: Facts,
  trace: TraceEntry[],
): Exemption | undefined => {
  const config = policy.exemptions ?? {};
  const payment = facts.start.transaction;
  const attempts: [Exemption, boolean, () => ExemptionCheck][] = [
    [
      'low_value',
      config.lowValue !== undefined,
      () =>
        payment && config.lowValue ? lowValue(config.lowValue, payment, facts.state) : NO_PAYMENT,
    ],
    [
      'trusted_beneficiary',
      config.trustedBeneficiaries === true,
      () => (payment ? trustedBeneficiary(payment, facts.state) : NO_PAYMENT),
    ],
    [
      'recurring',
      config.recurring === true,
      () => (payment ? recurring(payment, facts.state) : NO_PAYMENT),
    ],
    [
      'transaction_risk_analysis',
      config.tra !== undefined,
      () =>
        payment && config.tra
          ? transactionRiskAnalysis(config.tra, payment, facts.start.context?.riskScore)
          : NO_PAYMENT,
    ],
    [
      'remembered_device',
      config.rememberedDevice === true,
      () => {
        // No RTS exemption: it spares a known device a step-up for an action, never a
        // payment (else one SCA on a device would let any amount to any payee through).
        if (payment) return { applies: false, why: 'a payment (only RTS exemptions apply)' };
        return isRemembered(facts.state, facts.deviceRef, facts.rememberDays, facts.nowSeconds)
          ? { applies: true }
          : { applies: false, why: facts.deviceRef ? 'device not remembered' : 'no deviceId' };
      },
    ],
  ];
  for (const [name, enabled, attempt] of attempts) {
    if (!enabled) continue;
    const result = attempt();
    trace.push({ step: `exemption:${name}`, outcome: result.applies ? 'applies' : result.why });
    if (result.applies) return name;
  }
  return undefined;
};

const NO_PAYMENT: ExemptionCheck = { applies: false, why: 'no transaction' };

/** The token's and the event's `sca` claim (the issue: `{ decision, rule, exemption }`). */
export const scaClaim = (
  result: PolicyDecision,
): { readonly decision: Decision; readonly rule?: string; readonly exemption?: Exemption } => ({
  decision: result.decision,
  ...(result.rule === undefined ? {} : { rule: result.rule }),
  ...(result.exemption === undefined ? {} : { exemption: result.exemption }),
});
