import type { TransactionRecord, UserFactors } from '../domain/entities.js';
import {
  deviceRef,
  EMPTY_POLICY_STATE,
  evaluatePolicy,
  type PolicyDecision,
  scaClaim,
  stateAfterExempt,
  stateAfterVerify,
} from '../domain/policy/index.js';
import { stillNeeded } from '../domain/requirement.js';
import type { StartInput } from '../flow.js';
import type { PolicyStateWrite } from '../ports/store.js';

export { scaClaim };

/**
 * The app's policy on a start (pure evaluation, `shared/domain/policy`), on the user's policy
 * state as the user item holds it (an unknown user's is `{}`, as a new user's, so a deny or an
 * exemption reads the same for both).
 */
export const decidePolicy = (
  input: StartInput,
  user: UserFactors | undefined,
  nowSeconds: number,
): PolicyDecision =>
  evaluatePolicy({
    policy: input.policy,
    start: {
      ...(input.context ? { context: input.context } : {}),
      ...(input.transaction ? { transaction: input.transaction } : {}),
      ...(input.consentId ? { consentId: input.consentId } : {}),
    },
    state: user?.policyState ?? EMPTY_POLICY_STATE,
    now: nowSeconds,
  });

/** The stored form of the start's device id (its hash), if it named one. */
export const deviceRefOf = (input: StartInput): string | undefined =>
  input.context?.deviceId === undefined ? undefined : deviceRef(input.context.deviceId);

/**
 * The policy state write of an exempt start: the payment counts towards RTS Art. 16 (any
 * exemption). Undefined when nothing changes (no payment).
 */
export const exemptStateWrite = (
  input: StartInput,
  user: UserFactors | undefined,
): PolicyStateWrite | undefined => {
  if (input.transaction === undefined) return undefined;
  return {
    state: stateAfterExempt(user?.policyState ?? EMPTY_POLICY_STATE, input.transaction),
    seenRev: user?.policyRev,
  };
};

/**
 * The policy state write of a verify that finished its transaction: an SCA resets the Art. 16
 * counters, remembers the device and starts a recurring series; `mfa` only counts the payment
 * like an exempt one. Undefined when nothing changes (no payment, no device to remember), so
 * most flows write nothing more.
 */
export const verifiedStateWrite = (
  txn: TransactionRecord,
  user: UserFactors,
  acr: 'mfa' | 'sca',
  nowSeconds: number,
): PolicyStateWrite | undefined => {
  const before = user.policyState ?? EMPTY_POLICY_STATE;
  const after = stateAfterVerify(before, {
    acr,
    now: nowSeconds,
    ...(txn.transaction ? { transaction: txn.transaction } : {}),
    ...(txn.deviceRef ? { deviceRef: txn.deviceRef } : {}),
    ...(txn.rememberDays === undefined ? {} : { rememberDays: txn.rememberDays }),
  });
  if (JSON.stringify(after) === JSON.stringify(before)) return undefined;
  return { state: after, seenRev: user.policyRev };
};

/** The `requirement` of an `MFA_REQUIRED` answer: the level and the categories still needed. */
export const requirementOf = (txn: Pick<TransactionRecord, 'level' | 'proven'>) => ({
  requirement: {
    level: txn.level ?? 'mfa',
    categories: stillNeeded(txn.level ?? 'mfa', txn.proven ?? []),
  },
});
