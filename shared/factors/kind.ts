import type { FactorType, StoredFactor, TransactionRecord } from '../domain/entities.js';
import type { ScaCategory } from '../domain/mfa-token.js';
import type { TaskDeps } from '../flow-task.js';

export type { ScaCategory } from '../domain/mfa-token.js';

/**
 * What makes a right code good once: the completing write holds only while the stored code
 * MAC is this one (a sent code), or only above the factor's last used time step (TOTP).
 */
export type Proof = { readonly codeMac: string } | { readonly step: number };

/** The ports a kind may use to check a proof. */
export type ProofDeps = Pick<TaskDeps, 'secretBox'>;

/** A submitted code, as the proof checks see it: only ever its HMAC. */
export interface Submitted {
  readonly clientId: string;
  readonly userId: string;
  readonly factor: StoredFactor;
  readonly nowSeconds: number;
  /** The OTP HMAC key and the binding the code's MAC was computed with. */
  readonly key: Uint8Array;
  readonly binding: string;
  readonly submittedMac: string;
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
  /** RFC 8176 `amr` values of a verified factor. */
  readonly amr: readonly string[];
  /**
   * The channel its codes are sent on: a challenge records and sends a code, verify needs it.
   * Undefined for kinds whose codes the user's device makes (TOTP): nothing to send.
   */
  readonly delivery?: 'sms' | 'email';
  /** The masked profile every response shows. */
  profile(factor: StoredFactor): Record<string, string>;
  /** The proof of an activation code, or undefined when it is wrong. */
  activationProof(deps: ProofDeps, submitted: Submitted): Promise<Proof | undefined>;
  /** The proof of a code for a transaction, or undefined when it is wrong. */
  challengeProof(
    deps: ProofDeps,
    submitted: Submitted & { readonly txn: TransactionRecord },
  ): Promise<Proof | undefined>;
}
