import { decideStart } from '../shared/domain/transaction.js';
import type { StartInput } from '../shared/flow.js';
import { taskHandler } from '../shared/flow-task.js';

/** `MfaFlow` task for `start`: reads the user's factors and records the transaction. */
export const handler = taskHandler<StartInput>(
  async (input, { store, clock, random, config, log }) => {
    const factors = await store.listFactors(input.clientId, input.userId);
    const decision = decideStart({
      input,
      factors,
      transactionId: random.uuid(),
      now: clock.now(),
      stateTokenTtlSeconds: config.STATE_TOKEN_TTL_SECONDS,
    });
    await store.createTransaction(decision.record);
    log.info('authn started', {
      transactionId: decision.record.transactionId,
      status: decision.record.status,
    });
    return { ok: true, body: decision.body };
  },
);
