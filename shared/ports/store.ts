import type { AuditTrail } from '../domain/audit-chain.js';
import type {
  Activation,
  ClientRecord,
  PreviousChallenge,
  StepUpGuard,
  StepUpUse,
  StoredFactor,
  TransactionRecord,
  TransactionRef,
  TransactionView,
  UserFactors,
} from '../domain/entities.js';
import type { PolicyState } from '../domain/policy/index.js';
import type { ReceiptFactor } from '../domain/receipt.js';
import type { RegisteredFactor } from '../factors/kind.js';
import type { AuditEvent } from './events.js';

/** Port: persistence. DynamoDB in AWS and locally (dynalite), one table, single-item writes. */
/**
 * A conditional write on a user item: done (with what the method describes), or refused
 * with the user item its condition saw, from which the caller names the rule that failed
 * without a second read (`seen` undefined: no such user item).
 */
export type Conditional<T> =
  | { readonly ok: true; readonly value: T; readonly recorded: readonly AuditEvent[] }
  | { readonly ok: false; readonly seen: UserFactors | undefined };

/**
 * The audit events a write records (`shared/domain/audit-chain.ts`): joined to the user's
 * chain in the same update, so the chain moves with the state change it records. With `read`
 * (the user item as this request read it, undefined: none) the write folds the chain into its
 * head; otherwise it appends. A done write returns them sealed (`recorded`: `seq`, `hash`).
 */
export interface AuditWrite {
  readonly events: readonly AuditEvent[];
  readonly read?: { readonly item: AuditTrail | undefined };
}

/** Port: writes that only record audit events on a user's chain (no other state changes). */
export interface AuditStore {
  /**
   * Records events on the user's chain; creates the user item when there is none (a start
   * for a user without factors has a chain too), without the user id.
   */
  record(
    user: { readonly clientId: string; readonly userRef: string },
    audit: AuditWrite,
  ): Promise<readonly AuditEvent[]>;
}

export interface ClientStore {
  get(clientId: string): Promise<ClientRecord | undefined>;
  put(client: ClientRecord): Promise<void>;
}

/**
 * Factor writes are conditional: a refusal carries the user item its condition saw. A
 * `guard` is the factor-change step-up condition.
 */
export interface FactorStore {
  getUser(clientId: string, userId: string): Promise<UserFactors | undefined>;
  /**
   * Gives an existing user item the counters the step-up guards read (items of older
   * versions): `activeCount` as counted from the item, an empty `stepUps`.
   */
  prepareGuards(clientId: string, userId: string, activeCount: number): Promise<void>;
  /** Adds a factor unless the user has `maxFactors` or the destination is taken. */
  add(
    clientId: string,
    userId: string,
    factor: StoredFactor,
    args: { maxFactors: number; activeCount: number; guard?: StepUpGuard; audit: AuditWrite },
  ): Promise<Conditional<void>>;
  /** New activation code for a pending factor, unless the last send is after `sentBefore`. */
  renewActivation(
    clientId: string,
    userId: string,
    factorId: string,
    activation: Activation,
    args: { sentBefore: number; guard?: StepUpGuard },
  ): Promise<Conditional<void>>;
  /**
   * Counts an activation attempt before any code is compared, while the activation is live
   * and under `maxAttempts`; returns the attempts with this one (undefined: refused).
   */
  reserveActivationAttempt(
    clientId: string,
    userId: string,
    factorId: string,
    args: { nowSeconds: number; maxAttempts: number },
  ): Promise<Conditional<number>>;
  /**
   * PENDING → ACTIVE while the activation is live, if the stored code MAC matches (single
   * use) or, for TOTP, with the verified `step`; counts the factor in `activeCount`.
   */
  activate(
    clientId: string,
    userId: string,
    factorId: string,
    proof: { codeMac: string; registered?: RegisteredFactor } | { step: number },
    args: { nowSeconds: number; guard?: StepUpGuard; audit: AuditWrite },
  ): Promise<Conditional<void>>;
  /** Removes a factor that still has the `status` it was read with. */
  remove(
    clientId: string,
    userId: string,
    factor: Pick<StoredFactor, 'factorId' | 'status' | 'destinationHash'>,
    args: { guard?: StepUpGuard; audit: AuditWrite },
  ): Promise<Conditional<void>>;
}

/**
 * Transactions, inside their user's item. Every step is one conditional update of that item,
 * so attempt counts, factor counters, caps and single use hold under concurrency.
 */
export interface TransactionStore {
  /**
   * Adds a transaction to a user item that exists, removing `prune` (finished or past their
   * retention; each must still be there). False when any condition failed: the user would hold
   * more than `maxTransactions`, or another start changed the item meanwhile.
   */
  create(
    ref: TransactionRef,
    record: TransactionRecord,
    args: { prune: readonly string[]; maxTransactions: number; audit: AuditWrite },
  ): Promise<Conditional<void>>;
  /** Gives a user item that has none the map transactions live in (items of older versions). */
  prepare(ref: TransactionRef): Promise<void>;
  get(ref: TransactionRef): Promise<TransactionView | undefined>;
  /**
   * Records a new code for a live transaction whose factor is active and not locked, within
   * the send cap and cooldown; returns the view as it was before.
   */
  beginChallenge(
    ref: TransactionRef,
    args: {
      factorId: string;
      codeMac: string;
      codeExpiresAt: number;
      nowSeconds: number;
      maxSends: number;
      cooldownSeconds: number;
      /**
       * A passkey challenge (a nonce, nothing sent): counted in `nonces` under `maxSends`,
       * with no cooldown, leaving the sent codes' count and cooldown alone.
       */
      nonce?: boolean;
      /** `mfa.challenge.sent`, appended (the write is the request's first). */
      audit: AuditWrite;
    },
  ): Promise<Conditional<TransactionView>>;
  /**
   * Takes back a send that was not delivered: the code the user had before is restored.
   * Undefined when there was nothing to take back (this code is no longer the stored one: a
   * retried undo, or a newer send); else the events it recorded.
   */
  undoChallenge(
    ref: TransactionRef,
    codeMac: string,
    previous: PreviousChallenge,
    audit: AuditWrite,
  ): Promise<readonly AuditEvent[] | undefined>;
  /**
   * Counts one attempt on the transaction and one failure on the factor before any code is
   * compared (a right code then resets the factor's count), so a burst of guesses gets no
   * more comparisons than either allows. The transaction must be live, under `maxAttempts`
   * and hold the factor; with `challenge`, a live unexpired code for that factor. The factor
   * must be active and unlocked, with fewer than `threshold - 1` failures; the last failure
   * the factor allows is reserved only with `lock`, and locks it at once (count afresh,
   * `lockedUntil`, `lockOwner`): nothing can then leave the factor neither locked nor usable.
   * Returns the view with the attempt counted.
   */
  reserveAttempt(
    ref: TransactionRef,
    args: {
      factorId: string;
      nowSeconds: number;
      maxAttempts: number;
      threshold: number;
      challenge: boolean;
      /**
       * The lock the last allowed failure sets: `count` locks within a day, this one
       * included; `seenCount` the factor's stored `lockCount` it was computed from.
       */
      lock?: { until: number; owner: string; count: number; seenCount?: number };
    },
  ): Promise<Conditional<TransactionView>>;
  /**
   * A right code: completes a live transaction and resets the factor's failures, if the factor
   * is still active and unlocked, or locked by this very request (`owner`): then the lock is
   * lifted. Single use: for sms/email only while `codeMac` is its code (a passkey: the
   * challenge's nonce); for TOTP only above the factor's last used `step`, which it records.
   */
  complete(
    ref: TransactionRef,
    args: {
      factorId: string;
      nowSeconds: number;
      owner: string;
      /** This request set the factor's lock (its last allowed failure): lift it, uncounted. */
      lifting?: boolean;
      /**
       * Factor sequencing: this factor does not yet meet the transaction's level. The
       * transaction stays open (`MFA_REQUIRED`, its code spent) with what it has proven.
       */
      partial?: {
        proven: readonly string[];
        amr: readonly string[];
        /** Factors verified before (`steps` as read): a concurrent step must not be overwritten. */
        stepsBefore: number;
        /** The receipt entries of every factor verified so far, this one included. */
        verified: readonly ReceiptFactor[];
        /** The factors that still prove a category the transaction needs (`helping`). */
        helping: readonly string[];
      };
      codeMac?: string;
      step?: number;
      /** A recovery code (its MAC): removed from the factor, on the condition it is still there. */
      spentCode?: string;
      /**
       * A passkey: the sign counter and backup state of this assertion. A counter above 0
       * must be above the stored one (a cloned authenticator's older counter is refused). An
       * assertion with user verification marks the key `userVerified` (never the reverse).
       */
      signed?: { signCount: number; backupState: boolean; userVerified: boolean };
      /** The user's policy state after this success, if it changes (`PolicyStateWrite`). */
      policyState?: PolicyStateWrite;
      audit: AuditWrite;
    },
  ): Promise<Conditional<void>>;
  /**
   * After its last allowed wrong code: the transaction ends (`LOCKED_OUT`, if still live),
   * recording `audit`; returns the events recorded (none: it had ended already).
   */
  endTransaction(ref: TransactionRef, audit: AuditWrite): Promise<readonly AuditEvent[]>;
  /** Cancels a live transaction; returns it as cancelled (undefined: it was not live). */
  cancel(
    ref: TransactionRef,
    nowSeconds: number,
    audit: AuditWrite,
  ): Promise<Conditional<TransactionView>>;
}

/**
 * A new policy state for a user item, written only if the item's `policyRev` is still
 * `seenRev` (undefined: never written), so two decisions made on the same state cannot both
 * count (the 5th low-value payment is exempt once).
 */
export interface PolicyStateWrite {
  readonly state: PolicyState;
  readonly seenRev: number | undefined;
}

/** The user's policy state (API.md "Policy"), in the user item. */
export interface PolicyStateStore {
  /**
   * Replaces the policy state (`PolicyStateWrite`); creates the user item when there is none
   * (a user without factors can be exempt: the counters must still count).
   */
  save(
    user: { readonly clientId: string; readonly userId: string },
    write: PolicyStateWrite,
    args: { spend?: TokenSpend; audit?: AuditWrite },
  ): Promise<Conditional<void>>;
}

/**
 * An MFA token spent by the write (a trusted-payee change): recorded in `stepUps` under its
 * `jti`, which must not be there yet (one change per token, factor changes included), with
 * expired entries removed. The user item must have its `stepUps` map.
 */
export interface TokenSpend {
  readonly jti: string;
  readonly use: StepUpUse;
  readonly prune: readonly string[];
}

/** Fixed-window counters (conditional `ADD`), e.g. codes per destination per hour. */
export interface RateLimiter {
  consume(key: string, limit: number, windowSeconds: number, nowSeconds: number): Promise<boolean>;
  release(key: string, windowSeconds: number, nowSeconds: number): Promise<void>;
}
