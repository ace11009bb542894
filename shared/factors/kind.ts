import type { ServiceConfig } from '../config.js';
import type { FactorType, StoredFactor, TransactionRecord } from '../domain/entities.js';
import type { ScaCategory } from '../domain/mfa-token.js';
import { challengeBinding, otpMac } from '../domain/otp.js';
import type { PasskeyEvidence } from '../domain/receipt.js';
import { MfaError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';

export type { ScaCategory } from '../domain/mfa-token.js';

/**
 * What makes a right code good once: the completing write holds only while the stored code
 * MAC is this one (a sent code), or only above the factor's last used time step (TOTP).
 */
export type Proof =
  | { readonly codeMac: string }
  | { readonly step: number }
  /** Knowledge (a PIN) is reusable by nature: nothing to spend, the attempt limits guard it. */
  | { readonly reusable: true }
  /** A recovery code: the completing write removes it while it is still stored (single use). */
  | { readonly spentCode: string }
  /**
   * A passkey registration (activation): good once by its challenge, stored as the
   * activation's `codeMac`; the activating write stores the sealed credential.
   */
  | { readonly codeMac: string; readonly registered: RegisteredFactor }
  /**
   * A passkey assertion: it signed this challenge's nonce, which the completing write spends
   * (still stored, then removed), and moves the sign counter forward. What it proves depends
   * on its flags (user verification, backup eligibility).
   */
  | { readonly signed: SignedProof };

/** What activating a passkey stores on the factor. */
export interface RegisteredFactor {
  readonly sealedSecret: string;
  readonly signCount: number;
  readonly backupState: boolean;
  readonly userVerified: boolean;
}

export interface SignedProof {
  /** The assertion and the key it verified with, for the receipt. */
  readonly evidence: PasskeyEvidence;
  readonly nonce: string;
  readonly signCount: number;
  readonly backupState: boolean;
  /** The device verified its user (UV): the key then counts as doing so from now on. */
  readonly userVerified: boolean;
  readonly categories: readonly ScaCategory[];
  readonly amr: readonly string[];
}

/** A one-time code's MAC, bound to the transaction and factor (undefined: not 6–8 digits). */
export const codeMac = (key: Uint8Array, target: VerifyTarget, passCode: string) =>
  /^\d{6,8}$/.test(passCode)
    ? otpMac(key, 'challenge', challengeBinding(target.stateTokenHash, target.factorId), passCode)
    : undefined;

/**
 * The body member a factor of `kind` is proven with (`passCode` or `credential`) must be
 * there: else 400 `invalid_request` naming it (activate and verify alike).
 */
export const requireProofMember = (
  kind: FactorKind,
  body: { readonly passCode?: unknown; readonly credential?: unknown },
): void => {
  const member = kind.provenBy ?? 'passCode';
  if (body[member] === undefined) {
    throw new MfaError(
      'invalid_request',
      `Invalid body: ${member}: required for a ${kind.type} factor`,
    );
  }
};

/** Consecutive wrong codes that lock a factor of `kind`. */
export const lockThresholdOf = (kind: FactorKind, config: ServiceConfig): number =>
  kind.lockThreshold?.(config) ?? config.FACTOR_LOCK_THRESHOLD;

/** What a submitted pass code is bound to. */
export interface VerifyTarget {
  readonly clientId: string;
  readonly userRef: string;
  readonly stateTokenHash: string;
  readonly factorId: string;
}

/** The ports a kind may use to check a proof. */
export type ProofDeps = Pick<TaskDeps, 'secretBox' | 'config' | 'passkeys' | 'log'>;

/** A submitted code, as the proof checks see it: only ever its HMAC. */
export interface Submitted {
  readonly clientId: string;
  readonly userId: string;
  readonly factor: StoredFactor;
  readonly nowSeconds: number;
  /** The OTP HMAC key and the binding the code's MAC was computed with. */
  readonly key: Uint8Array;
  readonly binding: string;
  /** The code's MAC (kinds proven by a pass code). */
  readonly submittedMac?: string;
  /** The device's response, as the client sent it (kinds proven by a credential: passkeys). */
  readonly credential?: unknown;
}

/**
 * One kind of factor: what it proves, how it is shown and how a code of it is checked. Use
 * cases ask the kind; none branches on a factor type. Enrollment (profile validation, secrets,
 * what is shown once) lives beside it in `enroll.ts`, so functions that never enroll do not
 * load what enrolling needs (phone metadata, QR codes).
 */
export interface FactorKind {
  readonly type: FactorType;
  readonly categories: readonly ScaCategory[];
  /**
   * The categories one stored factor of this kind has shown it can prove, where that depends
   * on the factor (a passkey that has never verified its user: possession only), for the
   * factor-change rule. Default `categories`.
   */
  factorCategories?(factor: StoredFactor): readonly ScaCategory[];
  /** RFC 8176 `amr` values of a verified factor. */
  readonly amr: readonly string[];
  /**
   * The channel its codes are sent on: a challenge records and sends a code, verify needs it.
   * Undefined for kinds whose codes the user's device makes (TOTP): nothing to send.
   */
  readonly delivery?: 'sms' | 'email';
  /** The masked profile every response shows. */
  profile(factor: StoredFactor): Record<string, string | number>;
  /**
   * False when a verified factor of this kind never meets `sca` together with only the app's
   * own sign-in (`primaryAuth`): another verified factor must add the second category
   * (recovery codes). Default true.
   */
  readonly standsAlone?: boolean;
  /**
   * What the user proves it with: a typed `passCode` (default), or a `credential`, the
   * device's signed response (passkeys: wrong ones are 401 `invalid_credential`).
   */
  readonly provenBy?: 'passCode' | 'credential';
  /**
   * Kinds whose device signs a fresh challenge (passkeys): the challenge stores a nonce
   * (good until `expiresAt`, spent by the completing write) and its answer carries what the
   * device needs to sign it, made here.
   */
  readonly signing?: {
    readonly ttlSeconds: (config: ServiceConfig) => number;
    request(
      deps: ProofDeps,
      args: {
        readonly clientId: string;
        readonly userId: string;
        readonly factor: StoredFactor;
        readonly txn: TransactionRecord;
        readonly nonce: string;
      },
    ): Promise<Record<string, unknown>>;
  };
  /** Consecutive wrong codes that lock a factor of this kind (default FACTOR_LOCK_THRESHOLD). */
  lockThreshold?(config: ServiceConfig): number;
  /**
   * What the verify handler sends into the workflow for a submitted pass code: a MAC under
   * the server key, never the code. Undefined when the pass code cannot be one of this kind's
   * (400 `invalid_request`). Default for codes: 6–8 digits, bound to the transaction.
   */
  submittedMac?(key: Uint8Array, target: VerifyTarget, passCode: string): string | undefined;
  /** The proof of an activation code, or undefined when it is wrong. */
  activationProof(deps: ProofDeps, submitted: Submitted): Promise<Proof | undefined>;
  /** The proof of a code for a transaction, or undefined when it is wrong. */
  challengeProof(
    deps: ProofDeps,
    submitted: Submitted & { readonly txn: TransactionRecord },
  ): Promise<Proof | undefined>;
}
