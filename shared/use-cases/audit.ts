import type { FactorType } from '../domain/entities.js';
import { deviceRef } from '../domain/policy/index.js';
import { userRef } from '../domain/state-token.js';
import type { StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import type { AuditDetail, AuditEvent, AuditEventType } from '../ports/events.js';

/**
 * Publishes the audit event of a state change that has already happened. If EventBridge
 * refuses it after the SDK's retries, the operation still stands: the full event goes to the
 * error log (`audit event not delivered`, counted by a metric and alarmed on), so it is never
 * lost silently.
 */
export const audit = async (
  deps: Pick<TaskDeps, 'events' | 'clock' | 'random' | 'log' | 'requestId'>,
  type: AuditEventType,
  detail: Omit<AuditDetail, 'eventId' | 'time' | 'requestId'>,
): Promise<void> => {
  const event: AuditEvent = {
    type,
    detail: {
      eventId: deps.random.uuid(),
      time: deps.clock.now().toISOString(),
      requestId: deps.requestId,
      ...detail,
    },
  };
  try {
    await deps.events.publish(event);
  } catch (error) {
    deps.log.error('audit event not delivered', { error, event });
  }
};

/** The audit event of a factor change, naming the user by reference. */
export const auditFactor = (
  deps: Parameters<typeof audit>[0],
  type: 'mfa.factor.enrolled' | 'mfa.factor.activated' | 'mfa.factor.deleted',
  factor: {
    clientId: string;
    userId: string;
    factorId: string;
    factorType: FactorType;
    stepUpTransactionId?: string;
  },
) =>
  audit(deps, type, {
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
