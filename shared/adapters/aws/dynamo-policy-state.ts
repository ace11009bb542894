import type { UserFactors } from '../../domain/entities.js';
import type { AuditStore, PolicyStateStore, PolicyStateWrite } from '../../ports/store.js';
import { keys } from '../../table.js';
import { conditionalDone, type TableOps } from './dynamo-table.js';

/**
 * A policy state write as expression parts: the new state and the next revision, on the
 * condition that the revision is still the one read (`policyRev`), so decisions made on the
 * same state cannot both be written. Shared by `save` and the transaction's `complete`.
 */
export const policyStateParts = (write: PolicyStateWrite) => ({
  set: 'policyState = :policyState, policyRev = :policyRev',
  condition:
    write.seenRev === undefined ? 'attribute_not_exists(policyRev)' : 'policyRev = :seenRev',
  values: {
    ':policyState': write.state,
    ':policyRev': (write.seenRev ?? 0) + 1,
    ...(write.seenRev === undefined ? {} : { ':seenRev': write.seenRev }),
  },
});

/**
 * Audit events recorded on their own (no other state change: a deny, a wrong code): the
 * user item is created when there is none, with the maps the factor writes expect.
 */
export const dynamoAuditStore = (table: TableOps): AuditStore => ({
  record: async (user, audit) => {
    const written = await table.write<UserFactors>(keys.user(user.clientId, user.userRef), {
      update:
        'SET clientId = :c, factors = if_not_exists(factors, :empty), byDestination = if_not_exists(byDestination, :empty)',
      values: { ':c': user.clientId, ':empty': {} },
      audit,
    });
    return written.ok ? written.recorded : [];
  },
});

/** The policy state lives in the user item (`policyState`, `policyRev`). */
export const dynamoPolicyStateStore = (table: TableOps): PolicyStateStore => ({
  save: async (user, write, { spend, audit }) => {
    const parts = policyStateParts(write);
    const pruned = (spend?.prune ?? []).filter((jti) => jti !== spend?.jti);
    const spent = spend
      ? {
          set: ', stepUps.#jti = :use',
          remove: pruned.length
            ? ` REMOVE ${pruned.map((_, i) => `stepUps.#spent${i}`).join(', ')}`
            : '',
          condition: ' AND attribute_not_exists(stepUps.#jti)',
          names: {
            '#jti': spend.jti,
            ...Object.fromEntries(pruned.map((jti, i) => [`#spent${i}`, jti])),
          },
          values: { ':use': spend.use },
        }
      : { set: '', remove: '', condition: '', names: undefined, values: {} };
    return conditionalDone(
      await table.write<UserFactors>(keys.userFactors(user.clientId, user.userId), {
        // A user without an item gets one, with the maps the factor writes expect.
        update: `SET ${parts.set}, clientId = :c, userId = :u, factors = if_not_exists(factors, :empty), byDestination = if_not_exists(byDestination, :empty)${spent.set}${spent.remove}`,
        condition: `${parts.condition}${spent.condition}`,
        ...(spent.names ? { names: spent.names } : {}),
        values: {
          ...parts.values,
          ...spent.values,
          ':c': user.clientId,
          ':u': user.userId,
          ':empty': {},
        },
        ...(audit ? { audit } : {}),
      }),
    );
  },
});
