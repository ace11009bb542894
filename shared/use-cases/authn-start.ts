import { decideStart } from '../domain/transaction.js';
import type { FlowOutcome, StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';

/** Start: reads the user's factors (one read) and records the transaction (one write). */
export const startTransaction = async (input: StartInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { factors, transactions, clock, random, config, log } = deps;
  const user = await factors.getUser(input.clientId, input.userId);
  const decision = decideStart({
    input,
    user,
    transactionId: random.uuid(),
    now: clock.now(),
    stateTokenTtlSeconds: config.STATE_TOKEN_TTL_SECONDS,
  });
  await transactions.create(decision.record);
  log.info('authn started', {
    transactionId: decision.record.transactionId,
    status: decision.record.status,
    factorCount: Object.keys(decision.record.factors).length,
  });
  return { ok: true, body: decision.body };
};
