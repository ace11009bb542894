/** Port: persistence. DynamoDB in AWS and locally (dynalite), one table, single-item writes. */
export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  /** hex SHA-256 of salt || secret */
  readonly secretHash: string;
  readonly salt: string;
}

export type FactorType = 'sms' | 'email' | 'totp';
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
  /** Envelope-encrypted TOTP secret. */
  readonly sealedSecret?: string;
  readonly activation?: Activation;
  /** Consecutive failures across transactions. */
  readonly failures: number;
  /** epoch seconds */
  readonly lockedUntil?: number;
  /** Last accepted TOTP time step (replay guard). */
  readonly lastStep?: number;
}

/** All factors of one user of one app, in one item: limits and duplicates are atomic. */
export interface UserFactors {
  readonly clientId: string;
  readonly userId: string;
  readonly factors: Readonly<Record<string, StoredFactor>>;
  /** destinationHash → factorId */
  readonly byDestination: Readonly<Record<string, string>>;
}

export type TransactionStatus =
  | 'MFA_ENROLL'
  | 'MFA_REQUIRED'
  | 'MFA_CHALLENGE'
  | 'SUCCESS'
  | 'CANCELLED'
  | 'LOCKED_OUT';

/**
 * What a transaction keeps of each active factor, so a challenge needs no second read. Never
 * a TOTP secret: deleting a factor must remove its secret for good.
 */
export interface FactorSnapshot {
  readonly type: FactorType;
  readonly destination?: string;
  /** epoch seconds, as of the start */
  readonly lockedUntil?: number;
}

export interface TransactionRecord {
  readonly transactionId: string;
  readonly stateTokenHash: string;
  readonly clientId: string;
  readonly userId: string;
  readonly status: TransactionStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** epoch seconds, for conditions */
  readonly expiresAtEpoch: number;
  readonly context?: Record<string, string>;
  readonly transaction?: { amount: string; currency: string; payee: string };
  readonly consentId?: string;
  readonly factors: Readonly<Record<string, FactorSnapshot>>;
  readonly challengeFactorId?: string;
  readonly codeMac?: string;
  readonly codeExpiresAt?: number;
  readonly sends?: number;
  readonly lastSentAt?: number;
  readonly attempts?: number;
  readonly verifiedFactorId?: string;
  readonly authTime?: number;
  /** epoch seconds: when DynamoDB TTL may delete the item */
  readonly ttl: number;
}

/** The challenge a transaction held before a send, restored if that send is taken back. */
export type PreviousChallenge = Pick<
  TransactionRecord,
  'codeMac' | 'codeExpiresAt' | 'challengeFactorId' | 'lastSentAt'
>;

export interface ClientStore {
  get(clientId: string): Promise<ClientRecord | undefined>;
  put(client: ClientRecord): Promise<void>;
}

export type AddFactorResult = 'added' | 'too_many' | 'exists';

/** Factor writes are conditional: each returns false/undefined when its condition failed. */
export interface FactorStore {
  getUser(clientId: string, userId: string): Promise<UserFactors | undefined>;
  /** Adds a factor unless the user has `maxFactors` or the destination is taken. */
  add(
    clientId: string,
    userId: string,
    factor: StoredFactor,
    maxFactors: number,
  ): Promise<AddFactorResult>;
  /** New activation code for a pending factor, unless the last send is after `sentBefore`. */
  renewActivation(
    clientId: string,
    userId: string,
    factorId: string,
    activation: Activation,
    sentBefore: number,
  ): Promise<boolean>;
  /** Counts a wrong activation code; returns the attempts so far (undefined: no activation). */
  activationFailed(clientId: string, userId: string, factorId: string): Promise<number | undefined>;
  /**
   * PENDING → ACTIVE while the activation is live and under `maxAttempts`, if the stored code
   * MAC matches (single use) or, for TOTP, with the verified `step`.
   */
  activate(
    clientId: string,
    userId: string,
    factorId: string,
    proof: { codeMac: string } | { step: number },
    nowSeconds: number,
    maxAttempts: number,
  ): Promise<boolean>;
  remove(
    clientId: string,
    userId: string,
    factorId: string,
    destinationHash?: string,
  ): Promise<boolean>;
  /** A verified code: resets the failure count; refused if locked or (TOTP) the step was used. */
  succeeded(
    clientId: string,
    userId: string,
    factorId: string,
    nowSeconds: number,
    step?: number,
  ): Promise<boolean>;
  /**
   * Counts a failure before a TOTP code is compared (a burst across many transactions gets
   * no more comparisons than the lock allows): the factor must be ACTIVE, not locked and under
   * `threshold`. Returns the factor as it is now; a right code then resets it (`succeeded`).
   */
  reserveAttempt(
    clientId: string,
    userId: string,
    factorId: string,
    args: { threshold: number; nowSeconds: number },
  ): Promise<StoredFactor | undefined>;
  /** Locks a factor until `lockUntil`, and starts its failure count afresh. */
  lock(clientId: string, userId: string, factorId: string, lockUntil: number): Promise<void>;
  /**
   * A wrong code: counts it and locks the factor at `threshold` consecutive failures.
   * `undefined` when the factor is gone or already locked (nothing is counted then).
   */
  failed(
    clientId: string,
    userId: string,
    factorId: string,
    args: { threshold: number; lockUntil: number; nowSeconds: number },
  ): Promise<{ failures: number; locked: boolean } | undefined>;
}

export interface TransactionStore {
  create(record: TransactionRecord): Promise<void>;
  get(stateTokenHash: string): Promise<TransactionRecord | undefined>;
  /** Records a new code for a live transaction within the send cap and cooldown; returns the record as it was. */
  beginChallenge(
    stateTokenHash: string,
    args: {
      clientId: string;
      factorId: string;
      codeMac: string;
      codeExpiresAt: number;
      nowSeconds: number;
      maxSends: number;
      cooldownSeconds: number;
    },
  ): Promise<TransactionRecord | undefined>;
  /** Takes back a send that was not delivered: the code the user had before is restored. */
  undoChallenge(
    stateTokenHash: string,
    codeMac: string,
    previous: PreviousChallenge,
  ): Promise<void>;
  /**
   * Takes one attempt before any code is compared (so a burst of guesses gets no more
   * comparisons than attempts): the transaction must be live, under `maxAttempts`, and hold
   * the factor; with `challenge`, a live, unexpired code for that factor. Returns the record
   * with the attempt counted.
   */
  reserveAttempt(
    stateTokenHash: string,
    args: {
      clientId: string;
      factorId: string;
      nowSeconds: number;
      maxAttempts: number;
      challenge: boolean;
    },
  ): Promise<TransactionRecord | undefined>;
  /** Completes a live transaction (single use: for sms/email only while `codeMac` is its code). */
  complete(
    stateTokenHash: string,
    args: { clientId: string; factorId: string; codeMac?: string; nowSeconds: number },
  ): Promise<TransactionRecord | undefined>;
  /** Ends a live transaction after its last allowed wrong code. */
  lockOut(stateTokenHash: string): Promise<void>;
  cancel(stateTokenHash: string, clientId: string, nowSeconds: number): Promise<boolean>;
}

/** Fixed-window counters (conditional `ADD`), e.g. codes per destination per hour. */
export interface RateLimiter {
  consume(key: string, limit: number, windowSeconds: number, nowSeconds: number): Promise<boolean>;
  release(key: string, windowSeconds: number, nowSeconds: number): Promise<void>;
}
