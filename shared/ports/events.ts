import type { FactorType } from '../domain/entities.js';

/**
 * Port: audit events, one per state change of a transaction or a factor (EventBridge on AWS
 * and locally). An event names the user by `userRef` (SHA-256 of the user id) and never
 * carries a code, a state token, a secret, a phone number or an email address.
 */
export type AuditEventType =
  | 'mfa.authn.started'
  | 'mfa.challenge.sent'
  | 'mfa.challenge.failed'
  | 'mfa.authn.failed'
  | 'mfa.authn.factor_verified'
  | 'mfa.authn.succeeded'
  | 'mfa.authn.cancelled'
  | 'mfa.factor.enrolled'
  | 'mfa.factor.activated'
  | 'mfa.factor.deleted'
  | 'mfa.factor.activation_failed'
  | 'mfa.factor.locked'
  | 'mfa.sms.budget_exceeded'
  | 'mfa.payee.trusted'
  | 'mfa.payee.untrusted';

export interface AuditDetail {
  /**
   * The audit chain (API.md "Audit chain", `shared/domain/audit-chain.ts`), set when the event
   * is recorded: its detail-type, its place in the user's chain (from 1, no gaps) and
   * b64u(SHA-256(prevHash + JCS(detail without "hash"))).
   */
  readonly type?: AuditEventType;
  readonly seq?: number;
  readonly hash?: string;
  /** Unique per event. */
  readonly eventId: string;
  /** ISO time of the state change. */
  readonly time: string;
  /** The API request that caused it. */
  readonly requestId: string;
  readonly clientId: string;
  readonly userRef: string;
  /** The authentication operation (the `txn` claim of its token). */
  readonly transactionId?: string;
  readonly factorId?: string;
  readonly factorType?: FactorType;
  /** `started`: `MFA_REQUIRED`, `MFA_ENROLL`, `SUCCESS` (an exemption) or `DENIED`. */
  readonly status?: string;
  /** `failed`: the problem code answered (`invalid_passcode`, `locked_out`). */
  readonly code?: string;
  readonly attemptsRemaining?: number;
  /** `factor.locked`: epoch seconds the lock ends. */
  readonly lockedUntil?: number;
  /** `factor.locked`: locks of this factor in a row, this one included (each doubles the last). */
  readonly lockCount?: number;
  /** `started`: what the app's policy decided (the token's `sca` claim). */
  readonly policy?: { decision: string; rule?: string; exemption?: string };
  /** `sms.budget_exceeded`: the app's SMS budget per hour. */
  readonly limit?: number;
  /** Factor changes: the `txn` of the MFA token the user stepped up with. */
  readonly stepUpTransactionId?: string;
  /** `started`: what the app told of the request (ip, user agent, device, country). */
  readonly context?: Readonly<Record<string, string | number>>;
  /** Dynamic linking: what the user approved. */
  readonly transaction?: {
    amount: string;
    currency: string;
    payee: string;
    payeeAccount?: string;
    recurring?: boolean;
  };
  /** `payee.trusted` / `payee.untrusted`: the payee's account id, masked (`…1234`). */
  readonly payeeAccount?: string;
  readonly consentId?: string;
  /** `succeeded`, and `started` of an exemption: the receipt's content (`receiptDigest`). */
  readonly receiptDigest?: string;
}

export interface AuditEvent {
  readonly type: AuditEventType;
  readonly detail: AuditDetail;
}

export interface EventPublisher {
  publish(event: AuditEvent): Promise<void>;
}
