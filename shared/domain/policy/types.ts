/**
 * What the evaluator reads: the start body (API.md "Start", with the v1.1 additions) and the
 * user's policy state, kept in the user item. Plain data; `StartInput` (`shared/flow.ts`) is
 * assignable to `PolicyStart` once it carries the additions.
 */

/** The SCA category of the app's own sign-in (API.md "Factor categories"). */
export type PrimaryAuth = 'knowledge' | 'possession' | 'inherence' | 'none';

export interface PolicyTransaction {
  /** Decimal string, as validated by the start schema ("250.00"). */
  readonly amount: string;
  readonly currency: string;
  readonly payee: string;
  /** The payee's account id (an IBAN, say): what trusted beneficiaries are keyed by. */
  readonly payeeAccount?: string;
  /** The app says this payment belongs to a series of the same amount and payee. */
  readonly recurring?: boolean;
}

export interface PolicyStart {
  readonly context?: {
    readonly ip?: string;
    readonly userAgent?: string;
    readonly deviceId?: string;
    readonly country?: string;
    readonly primaryAuth?: PrimaryAuth;
    /** 0–100: the app's own transaction risk analysis (higher is riskier). */
    readonly riskScore?: number;
  };
  readonly transaction?: PolicyTransaction;
  readonly consentId?: string;
}

/** RTS Art. 16 counters: payments made without SCA since the user's last SCA. */
export interface SinceSca {
  /** Payments without SCA (exempt, or verified at `mfa` only) since the last SCA. */
  readonly count: number;
  /** Their total per currency (decimal strings): amounts in different currencies never add. */
  readonly cumulative: Readonly<Record<string, string>>;
}

export interface TrustedPayee {
  readonly payee: string;
  /** RFC 3339, as `GET /trusted-payees` shows it. */
  readonly addedAt: string;
}

export interface RecurringSeries {
  /** epoch seconds of the SCA that approved the series' first payment */
  readonly approvedAt: number;
}

/**
 * The per-user policy state (one member of the user item each). Everything is optional, so an
 * unknown user and a user who never paid are both `{}`: the evaluator answers them alike.
 */
export interface PolicyState {
  readonly sinceSca?: SinceSca;
  /** payeeAccount → the trusted payee (RTS Art. 13), managed by the trusted-payees routes. */
  readonly trustedPayees?: Readonly<Record<string, TrustedPayee>>;
  /** `seriesKey(transaction)` → the series (RTS Art. 14). */
  readonly recurringSeries?: Readonly<Record<string, RecurringSeries>>;
  /**
   * `deviceRef(deviceId)` → epoch seconds of the SCA on that device. The time of the SCA, not
   * an expiry, so a shorter `rememberDevice.days` (or none) takes effect at once.
   */
  readonly rememberedDevices?: Readonly<Record<string, number>>;
}

export const EMPTY_POLICY_STATE: PolicyState = Object.freeze({});
