import { userRef } from '../domain/state-token.js';
import { decideStart, keptTransactions, secondsUntilPrunable } from '../domain/transaction.js';
import { MfaError } from '../errors.js';
import { categoriesOf, factorView } from '../factors/registry.js';
import type { FlowOutcome, StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { audit } from './audit.js';
import { decidePolicy, requirementOf, scaClaim } from './policy-decision.js';

/**
 * Start: reads the user item (one read) and adds the transaction to it (one conditional
 * write), removing finished transactions and those past their retention. The write holds
 * only if every removed entry is still there (the cap is exact); a start that raced another
 * adds without removing, or decides again on the item its refused write saw. Nothing is written for a user who has no active
 * factor.
 */
export const startTransaction = async (input: StartInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { factors, transactions, clock, random, config, log } = deps;
  const now = clock.now();
  const transactionId = random.uuid();
  const ref = {
    clientId: input.clientId,
    userRef: userRef(input.userId),
    stateTokenHash: input.stateTokenHash,
  };
  const refusal = (detail: string, wait: number) => {
    log.warn('authn refused', { transactionId, reason: detail });
    return new MfaError('rate_limited', detail, {}, { 'retry-after': String(wait) });
  };

  const policy = decidePolicy(input, epochSeconds(now), log);
  if (policy.decision === 'deny') {
    // The same answer for a known and an unknown user: nothing read, nothing listed.
    await audit(deps, 'mfa.authn.started', {
      clientId: input.clientId,
      userRef: ref.userRef,
      transactionId,
      status: 'DENIED',
      policy: scaClaim(policy),
      ...(input.transaction ? { transaction: input.transaction } : {}),
      ...(input.consentId ? { consentId: input.consentId } : {}),
    });
    log.info('authn denied by policy', { transactionId, rule: policy.rule });
    throw new MfaError('access_denied', "The app's policy does not allow this", {
      transactionId,
      rule: policy.rule ?? 'default',
    });
  }
  const emailIsPossession = input.policy?.emailIsPossession === true;

  let user = await factors.getUser(input.clientId, input.userId);
  for (let attempt = 1; ; attempt += 1) {
    const decision = decideStart({
      input,
      user,
      transactionId,
      now,
      stateTokenTtlSeconds: config.STATE_TOKEN_TTL_SECONDS,
      retentionSeconds: config.TRANSACTION_RETENTION_SECONDS,
      level: policy.level,
      ...(policy.rule ? { rule: policy.rule } : {}),
      emailIsPossession,
      categoriesOf: (factor) => categoriesOf(factor.type, { emailIsPossession }),
    });
    if (decision.status === 'MFA_REQUIRED' && user) {
      if (keptTransactions(user, decision.prune) >= config.MAX_TRANSACTIONS_PER_USER) {
        const wait = secondsUntilPrunable(user, epochSeconds(now));
        throw refusal(`Too many open transactions for this user; try again in ${wait} s`, wait);
      }
      if (!user.txns) await transactions.prepare(ref);
      const maxTransactions = config.MAX_TRANSACTIONS_PER_USER;
      // Pruning loses when another start removed an entry first: then add without pruning,
      // if there is room.
      let created = await transactions.create(ref, decision.record, {
        prune: decision.prune,
        maxTransactions,
      });
      if (!created.ok && decision.prune.length > 0) {
        created = await transactions.create(ref, decision.record, { prune: [], maxTransactions });
      }
      if (!created.ok) {
        // Decide again on the item the refused write saw: no second read.
        if (attempt < 3 && created.seen) {
          user = created.seen;
          continue;
        }
        throw refusal("The user's transactions changed meanwhile; try again", 1);
      }
    }
    await audit(deps, 'mfa.authn.started', {
      clientId: input.clientId,
      userRef: ref.userRef,
      transactionId,
      status: decision.status,
      policy: scaClaim(policy),
      ...(input.context ? { context: input.context } : {}),
      ...(input.transaction ? { transaction: input.transaction } : {}),
      ...(input.consentId ? { consentId: input.consentId } : {}),
    });
    log.info('authn started', { transactionId, status: decision.status });
    return {
      ok: true,
      body:
        decision.status === 'MFA_REQUIRED'
          ? {
              status: 'MFA_REQUIRED',
              transactionId,
              expiresAt: decision.record.expiresAt,
              factors: decision.active.map(factorView),
              ...requirementOf(decision.record),
            }
          : { status: 'MFA_ENROLL', transactionId, factors: [] },
    };
  }
};
