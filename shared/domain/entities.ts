import type { AuditTrail } from './audit-chain.js';
/**
 * The service's entities: an app client, a user of an app with their factors and live
 * authentication transactions. Plain data, no AWS and no behaviour; the store ports
 * (`ports/store.ts`) read and write them.
 */
import type { Policy, PolicyState, PolicyTransaction } from './policy/index.js';
import type { ReceiptFactor } from './receipt.js';

export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  /** hex SHA-256 of salt || secret */
  readonly secretHash: string;
  readonly salt: string;
  /**
   * The app's policy (API.md "Policy (per app)"), validated by `parsePolicy` on write and on
   * read. Absent: the deployment's `DEFAULT_POLICY`, else today's behaviour (`require: "mfa"`).
   */
  readonly policy?: Policy;
}

/** The factor kinds there are (`shared/factors/`: one folder per kind, one registry). */
export const FACTOR_TYPES = ['sms', 'email', 'totp', 'pin', 'recovery_code', 'webauthn'] as const;
export type FactorType = (typeof FACTOR_TYPES)[number];
export type FactorStatus = 'PENDING_ACTIVATION' | 'ACTIVE';

/** A pending activation code (sms/email) or the pending state of a TOTP factor. */
export interface Activation {
  readonly codeMac?: string;
  /** epoch seconds */
  readonly expiresAt: number;
  readonly attempts: number;
  /** epoch seconds of the last send (sms/email) */
  readonly lastSentAt?: number;
}

export interface StoredFactor {
  readonly factorId: string;
  readonly type: FactorType;
  readonly status: FactorStatus;
  readonly createdAt: string;
  /** E.164 phone number or email address (sms/email). */
  readonly destination?: string;
  readonly destinationHash?: string;
  /** Envelope-encrypted TOTP secret, or a passkey's credential (id, public key, flags). */
  readonly sealedSecret?: string;
  /** PIN: its slow salted hash (`shared/factors/pin/pin-hash.ts`); the PIN itself never. */
  readonly pinHash?: string;
  /** Recovery codes: the MAC of each code not used yet (MAC → 1). */
  readonly recoveryCodes?: Readonly<Record<string, number>>;
  /** Passkeys: the name the user gave it (display text), shown in the factor list. */
  readonly displayName?: string;
  /** Passkeys: the authenticator's sign counter after the last use (0: it keeps none). */
  readonly signCount?: number;
  /** Passkeys: backed up (BS) at the last use: a synced passkey. */
  readonly backupState?: boolean;
  /**
   * Passkeys: the authenticator verified its user (UV), at registration or in an approval
   * since, so its approvals can prove inherence too. Absent on keys registered before it was
   * recorded: counted as true.
   */
  readonly userVerified?: boolean;
  readonly activation?: Activation;
  /** Consecutive failures across transactions. */
  readonly failures: number;
  /** epoch seconds */
  readonly lockedUntil?: number;
  /** The request whose failure reservation set the lock: a right code from it lifts the lock. */
  readonly lockOwner?: string;
  /** Last accepted TOTP time step (replay guard). */
  readonly lastStep?: number;
  /** Locks of this factor in a row: each lasts twice the one before. */
  readonly lockCount?: number;
  /** epoch seconds: a day after the last lock ended, from when `lockCount` starts afresh */
  readonly lockCountUntil?: number;
}

/** An MFA token spent on a factor change (single use: good for that one factor only). */
export interface StepUpUse {
  readonly factorId: string;
  /** epoch seconds after which the token can no longer pass: the entry may go */
  readonly until: number;
}

/**
 * One user of one app, in one item: their factors (limits and duplicates are atomic) and their
 * live authentication transactions (a step and the factor's counters change together).
 */
export interface UserFactors extends AuditTrail {
  readonly clientId: string;
  readonly userId: string;
  readonly factors: Readonly<Record<string, StoredFactor>>;
  /** destinationHash → factorId */
  readonly byDestination: Readonly<Record<string, string>>;
  /** SHA-256 of the state token → transaction */
  readonly txns?: Readonly<Record<string, TransactionRecord>>;
  /** ACTIVE factors: what the factor-change step-up conditions on (absent on older items). */
  readonly activeCount?: number;
  /** jti of the MFA tokens spent on factor changes (absent on older items). */
  readonly stepUps?: Readonly<Record<string, StepUpUse>>;
  /**
   * What the app's policy remembers of this user (API.md "Policy"): payments since the last
   * SCA, trusted payees, recurring series, remembered devices. Absent: nothing yet.
   */
  readonly policyState?: PolicyState;
  /** Revision of `policyState`: every write of it is conditioned on the one it read. */
  readonly policyRev?: number;
}

/**
 * The step-up condition of a factor change, checked by the write that makes it (with
 * `FACTOR_CHANGE_MAX_AGE_SECONDS` on): the user still has no ACTIVE factor, or the MFA token
 * (`jti`) has not been spent on another factor, and is now spent on this one.
 */
export type StepUpGuard =
  | { readonly kind: 'no_active_factor' }
  | {
      readonly kind: 'token';
      readonly jti: string;
      readonly use: StepUpUse;
      /** Spent tokens past their `until`, removed by the same write. */
      readonly prune: readonly string[];
    };

export type TransactionStatus =
  | 'MFA_REQUIRED'
  | 'MFA_CHALLENGE'
  | 'SUCCESS'
  | 'CANCELLED'
  | 'LOCKED_OUT';

/** An authentication transaction, kept in its user's item. */
export interface TransactionRecord {
  readonly transactionId: string;
  readonly status: TransactionStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** epoch seconds, for conditions */
  readonly expiresAtEpoch: number;
  readonly transaction?: PolicyTransaction;
  readonly consentId?: string;
  /** The level the policy requires (absent: `mfa`). */
  readonly level?: 'mfa' | 'sca';
  /** The policy rule that decided the start, if one did. */
  readonly rule?: string;
  /**
   * SCA categories proven so far: the app's own sign-in (`context.primaryAuth`), then each
   * verified factor's. Absent: none yet.
   */
  readonly proven?: readonly ('knowledge' | 'possession' | 'inherence')[];
  /** RFC 8176 methods of the factors verified so far (factor sequencing). */
  readonly amr?: readonly string[];
  /** Factors verified so far in an open transaction (factor sequencing); absent: none. */
  readonly steps?: number;
  /**
   * After a factor-sequencing step: the transaction's factors that still prove a category it
   * needs (only these take a challenge or an attempt). Absent: every factor of the transaction.
   */
  readonly helping?: readonly string[];
  /** The receipt entries of the factors verified so far (factor sequencing). */
  readonly verifiedFactors?: readonly ReceiptFactor[];
  /** The app's policy counts email as possession (`emailIsPossession`). */
  readonly emailIsPossession?: boolean;
  /** `deviceRef(context.deviceId)`: the device a successful SCA remembers. */
  readonly deviceRef?: string;
  /** The policy's `rememberDevice.days` at the start (absent: no device is remembered). */
  readonly rememberDays?: number;
  /** The factors that were ACTIVE at the start (id → type): only these can be used. */
  readonly factors: Readonly<Record<string, FactorType>>;
  readonly challengeFactorId?: string;
  readonly codeMac?: string;
  readonly codeExpiresAt?: number;
  readonly sends?: number;
  /** Passkey challenges issued (counted apart from sent codes). */
  readonly nonces?: number;
  readonly lastSentAt?: number;
  readonly attempts?: number;
  readonly verifiedFactorId?: string;
  readonly authTime?: number;
  /** epoch seconds: the next start for this user removes the record from then on (at once when finished) */
  readonly pruneAfter: number;
}

/** A transaction with the user item it lives in (the factors as they are now). */
export interface TransactionView {
  readonly txn: TransactionRecord;
  readonly user: UserFactors;
}

/** Where a transaction lives: the app, the user item and the state token's hash. */
export interface TransactionRef {
  readonly clientId: string;
  readonly userRef: string;
  readonly stateTokenHash: string;
}

/** The challenge a transaction held before a send, restored if that send is taken back. */
export type PreviousChallenge = Pick<
  TransactionRecord,
  'codeMac' | 'codeExpiresAt' | 'challengeFactorId' | 'lastSentAt' | 'status'
>;
