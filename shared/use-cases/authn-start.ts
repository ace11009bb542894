import { userRef } from '../domain/state-token.js';
import { decideStart, keptTransactions, secondsUntilPrunable } from '../domain/transaction.js';
import { MfaError } from '../errors.js';
import type { FlowOutcome, StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { UserFactors } from '../ports/store.js';
import { audit } from './audit.js';

/**
 * Start: reads the user item (one read) and adds the transaction to it (one conditional
 * write), removing finished transactions and those past their retention. The write holds
 * only if the item is as read, so a start that raced another reads once more and tries
 * again. Nothing is written for a user who has no active factor.
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
  const tooMany = (user: UserFactors | undefined) => {
    log.warn('authn refused: too many open transactions', { transactionId });
    const wait = secondsUntilPrunable(user, epochSeconds(now));
    return new MfaError(
      'rate_limited',
      `Too many open transactions for this user; try again in ${wait} s`,
      {},
      { 'retry-after': String(wait) },
    );
  };

  for (let attempt = 1; ; attempt += 1) {
    const user = await factors.getUser(input.clientId, input.userId);
    const decision = decideStart({
      input,
      user,
      transactionId,
      now,
      stateTokenTtlSeconds: config.STATE_TOKEN_TTL_SECONDS,
    });
    if (decision.status === 'MFA_REQUIRED' && user) {
      if (keptTransactions(user, decision.prune) >= config.MAX_TRANSACTIONS_PER_USER) {
        throw tooMany(user);
      }
      if (!user.txns) await transactions.prepare(ref);
      const created = await transactions.create(ref, decision.record, {
        prune: decision.prune,
        maxTransactions: config.MAX_TRANSACTIONS_PER_USER,
      });
      if (!created) {
        if (attempt < 3) continue;
        throw tooMany(user);
      }
    }
    await audit(deps, 'mfa.authn.started', {
      clientId: input.clientId,
      userRef: ref.userRef,
      transactionId,
      status: decision.status,
      ...(input.context ? { context: input.context } : {}),
      ...(input.transaction ? { transaction: input.transaction } : {}),
      ...(input.consentId ? { consentId: input.consentId } : {}),
    });
    log.info('authn started', { transactionId, status: decision.status });
    return { ok: true, body: decision.body };
  }
};
