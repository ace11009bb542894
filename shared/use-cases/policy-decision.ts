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
 * `exempt` decision falls back to the policy's default level, so a policy can only ever make
 * a start stricter than v1, never looser.
 */
export const decidePolicy = (
  input: StartInput,
  nowSeconds: number,
  log: Pick<Logger, 'warn'>,
): PolicyDecision => {
  const decision = evaluatePolicy({
    policy: input.policy,
    start: {
      ...(input.context ? { context: input.context } : {}),
      ...(input.transaction ? { transaction: input.transaction } : {}),
      ...(input.consentId ? { consentId: input.consentId } : {}),
    },
    state: EMPTY_POLICY_STATE,
    now: nowSeconds,
  });
  if (decision.decision !== 'exempt') return decision;
  log.warn('policy exemption not applied yet: MFA required', {
    rule: decision.rule,
    exemption: decision.exemption,
  });
  return {
    ...decision,
    decision: 'require',
    level: input.policy?.default?.require ?? 'mfa',
    exemption: undefined,
  };
};

/** The `requirement` of an `MFA_REQUIRED` answer: the level and the categories still needed. */
export const requirementOf = (txn: Pick<TransactionRecord, 'level' | 'proven'>) => ({
  requirement: {
    level: txn.level ?? 'mfa',
    categories: stillNeeded(txn.level ?? 'mfa', txn.proven ?? []),
  },
});
