import { conditionalDone } from '../../shared/adapters/aws/dynamo-table.js';
import type { UserFactors } from '../../shared/domain/entities.js';
import type { AuditStore, PolicyStateStore, PolicyStateWrite } from '../../shared/ports/store.js';
import { keys } from '../../shared/table.js';
import { at, type Doc, exists, type ItemTable, ifNotExists, remove, set } from './memory-table.js';

/**
 * `policyStateParts` of shared/adapters/aws/dynamo-policy-state.ts: the condition
 * (`attribute_not_exists(policyRev)` / `policyRev = :seenRev`) and the update.
 */
export const revAsRead = (item: Doc, write: PolicyStateWrite): boolean =>
  write.seenRev === undefined ? !exists(item.policyRev) : item.policyRev === write.seenRev;

export const writePolicyState = (next: Doc, write: PolicyStateWrite) => {
  set(next, ['policyState'], structuredClone(write.state));
  set(next, ['policyRev'], (write.seenRev ?? 0) + 1);
};

/** The in-memory `PolicyStateStore`: `dynamoPolicyStateStore`'s condition and update. */
export const memoryPolicyStateStore = (table: ItemTable, log: string[]): PolicyStateStore => ({
  save: async (user, write, { spend, audit }) => {
    log.push('policyStates.save');
    return conditionalDone(
      table.write<UserFactors>(keys.userFactors(user.clientId, user.userId), {
        // ... AND attribute_not_exists(stepUps.#jti)
        when: (item) =>
          revAsRead(item, write) && (!spend || !exists(at(item, 'stepUps', spend.jti))),
        update: (next, old) => {
          if (spend) {
            set(next, ['stepUps', spend.jti], structuredClone(spend.use));
            for (const jti of spend.prune) if (jti !== spend.jti) remove(next, ['stepUps', jti]);
          }
          writePolicyState(next, write);
          set(next, ['clientId'], user.clientId);
          set(next, ['userId'], user.userId);
          set(next, ['factors'], ifNotExists(old, ['factors'], {}));
          set(next, ['byDestination'], ifNotExists(old, ['byDestination'], {}));
        },
        ...(audit ? { audit } : {}),
      }),
    );
  },
});

/** The in-memory `AuditStore`: `dynamoAuditStore`'s update (the user item's maps, the chain). */
export const memoryAuditStore = (table: ItemTable, log: string[]): AuditStore => ({
  record: async (user, audit) => {
    log.push('audits.record');
    const written = table.write<UserFactors>(keys.user(user.clientId, user.userRef), {
      update: (next, old) => {
        set(next, ['clientId'], user.clientId);
        set(next, ['factors'], ifNotExists(old, ['factors'], {}));
        set(next, ['byDestination'], ifNotExists(old, ['byDestination'], {}));
      },
      audit,
    });
    return written.ok ? written.recorded : [];
  },
});
