import type { FactorType } from '../domain/entities.js';
import { deviceRef } from '../domain/policy/index.js';
import { userRef } from '../domain/state-token.js';
import type { StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import type { AuditDetail, AuditEvent, AuditEventType } from '../ports/events.js';
import type { AuditWrite } from '../ports/store.js';

type AuditDeps = Pick<TaskDeps, 'events' | 'clock' | 'random' | 'log' | 'requestId'>;

/**
 * The audit event of a state change about to be written: the write that makes the change
 * records it on the user's chain (`AuditWrite`), and `publish` sends it as recorded.
 */
export const auditEvent = (
  deps: AuditDeps,
  type: AuditEventType,
  detail: Omit<AuditDetail, 'eventId' | 'time' | 'requestId' | 'type' | 'seq' | 'hash'>,
): AuditEvent => ({
  type,
  detail: {
    eventId: deps.random.uuid(),
    time: deps.clock.now().toISOString(),
    requestId: deps.requestId,
    ...detail,
  },
});

/**
 * Publishes the audit events a write recorded (with `type`, `seq` and `hash`), after the state
 * change stands. If EventBridge refuses one after the SDK's retries, the operation still
 * stands: the full event goes to the error log (`audit event not delivered`, counted by a
 * metric and alarmed on), and the audit log shows a gap in the user's chain at its `seq`.
 */
export const publish = async (
  deps: Pick<TaskDeps, 'events' | 'log'>,
  recorded: readonly AuditEvent[],
): Promise<void> => {
  for (const event of recorded) {
    try {
      await deps.events.publish(event);
    } catch (error) {
      deps.log.error('audit event not delivered', { error, event });
    }
  }
};

/** Records events that come with no other state change (`AuditStore`), then publishes them. */
export const recordAudit = async (
  deps: AuditDeps & Pick<TaskDeps, 'audits'>,
  user: Parameters<TaskDeps['audits']['record']>[0],
  events: readonly AuditEvent[],
  read?: AuditWrite['read'],
) => {
  const recorded = await deps.audits.record(user, { events, ...(read ? { read } : {}) });
  await publish(deps, recorded);
  return recorded;
};

/** The receipt's `audit` member: the chain place of the operation's event (API.md "Receipts"). */
export const auditClaim = (recorded: readonly AuditEvent[]) => {
  const last = recorded.at(-1)?.detail;
  return last?.seq !== undefined && last.hash !== undefined
    ? { audit: { seq: last.seq, hash: last.hash } }
    : {};
};

/** The audit event of a factor change, naming the user by reference. */
export const factorEvent = (
  deps: AuditDeps,
  type: 'mfa.factor.enrolled' | 'mfa.factor.activated' | 'mfa.factor.deleted',
  factor: {
    clientId: string;
    userId: string;
    factorId: string;
    factorType: FactorType;
    stepUpTransactionId?: string;
  },
) =>
  auditEvent(deps, type, {
    clientId: factor.clientId,
    userRef: userRef(factor.userId),
    factorId: factor.factorId,
    factorType: factor.factorType,
    ...(factor.stepUpTransactionId ? { stepUpTransactionId: factor.stepUpTransactionId } : {}),
  });

/** An account id (an IBAN) as the audit trail shows it: its last four characters only. */
export const maskedAccount = (payeeAccount: string) => `…${payeeAccount.slice(-4)}`;

/** A transaction as the audit trail shows it: the payee's account id masked. */
export const auditedTransaction = (transaction: NonNullable<AuditDetail['transaction']>) =>
  transaction.payeeAccount === undefined
    ? transaction
    : { ...transaction, payeeAccount: maskedAccount(transaction.payeeAccount) };

/**
 * The app's context as the audit trail shows it: the device id as its SHA-256 (`deviceRef`,
 * the form the remembered devices are kept in), since a remembered device exempts a step-up.
 */
export const auditedContext = (context: NonNullable<StartInput['context']>) => {
  const { deviceId, ...rest } = context;
  return deviceId === undefined ? rest : { ...rest, deviceRef: deviceRef(deviceId) };
};
