import type { TransactionRecord } from '../domain/entities.js';
import {
  EMPTY_POLICY_STATE,
  evaluatePolicy,
  type PolicyDecision,
  scaClaim,
} from '../domain/policy/index.js';
import { stillNeeded } from '../domain/requirement.js';
import type { StartInput } from '../flow.js';
import type { Logger } from '../log.js';

export { scaClaim };

/**
 * The app's policy on a start (pure evaluation, `shared/domain/policy`). Exemptions are not
 * applied yet (their per-user state and the exempt token are the next step of issue 13): an
 * `exempt` decision is decided again without the exemptions and the exempt rules (so a later
 * rule requiring `sca` still holds), else the policy's default level: a policy can only ever
 * make a start stricter than v1, never looser.
 */
export const decidePolicy = (
  input: StartInput,
  nowSeconds: number,
  log: Pick<Logger, 'warn'>,
): PolicyDecision => {
  const evaluate = (policy: StartInput['policy']) =>
    evaluatePolicy({
      policy,
      start: {
        ...(input.context ? { context: input.context } : {}),
        ...(input.transaction ? { transaction: input.transaction } : {}),
        ...(input.consentId ? { consentId: input.consentId } : {}),
      },
      state: EMPTY_POLICY_STATE,
      now: nowSeconds,
    });
  const decision = evaluate(input.policy);
  if (decision.decision !== 'exempt') return decision;
  log.warn('policy exemption not applied yet: MFA required', {
    rule: decision.rule,
    exemption: decision.exemption,
  });
  // Decide again as if the policy had no exemptions and no exempt rules: a later rule that
  // requires sca still does (an exempt rule must not lower the level it cannot grant).
  const strict = evaluate(
    input.policy && {
      ...input.policy,
      rules: (input.policy.rules ?? []).filter((rule) => rule.then !== 'exempt'),
      exemptions: undefined,
    },
  );
  return strict.decision === 'exempt'
    ? { ...strict, decision: 'require', level: input.policy?.default?.require ?? 'mfa' }
    : strict;
};

/** The `requirement` of an `MFA_REQUIRED` answer: the level and the categories still needed. */
export const requirementOf = (txn: Pick<TransactionRecord, 'level' | 'proven'>) => ({
  requirement: {
    level: txn.level ?? 'mfa',
    categories: stillNeeded(txn.level ?? 'mfa', txn.proven ?? []),
  },
});
