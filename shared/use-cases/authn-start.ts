import { userRef } from '../domain/state-token.js';
import { decideStart, secondsUntilPrunable } from '../domain/transaction.js';
import { MfaError } from '../errors.js';
import type { FlowOutcome, StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { audit } from './audit.js';

/**
 * Start: reads the user item (one read) and adds the transaction to it (one conditional
 * write), removing transactions past their retention. Nothing is written for a user who has
 * no active factor.
 */
export const startTransaction = async (input: StartInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { factors, transactions, clock, random, config, log } = deps;
  const user = await factors.getUser(input.clientId, input.userId);
  const now = clock.now();
  const decision = decideStart({
    input,
    user,
    transactionId: random.uuid(),
    now,
    stateTokenTtlSeconds: config.STATE_TOKEN_TTL_SECONDS,
  });
  const transactionId = String(decision.body.transactionId);
  if (decision.status === 'MFA_REQUIRED') {
    const created = await transactions.create(
      {
        clientId: input.clientId,
        userRef: userRef(input.userId),
        stateTokenHash: input.stateTokenHash,
      },
      decision.record,
      { prune: decision.prune, maxTransactions: config.MAX_TRANSACTIONS_PER_USER },
    );
    if (!created) {
      log.warn('authn refused: too many open transactions', { transactionId });
      const wait = secondsUntilPrunable(user, epochSeconds(now));
      throw new MfaError(
        'rate_limited',
        `Too many open transactions for this user; try again in ${wait} s`,
        {},
        { 'retry-after': String(wait) },
      );
    }
  }
  await audit(deps, 'mfa.authn.started', {
    clientId: input.clientId,
    userRef: userRef(input.userId),
    transactionId,
    status: decision.status,
    ...(input.transaction ? { transaction: input.transaction } : {}),
    ...(input.consentId ? { consentId: input.consentId } : {}),
  });
  log.info('authn started', {
    transactionId,
    status: decision.status,
    factorCount:
      decision.status === 'MFA_REQUIRED' ? Object.keys(decision.record.factors).length : 0,
  });
  return { ok: true, body: decision.body };
};
