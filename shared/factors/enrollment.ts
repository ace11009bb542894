import type { FactorType, StoredFactor } from '../domain/entities.js';
import type { TaskDeps } from '../flow-task.js';

/** The enroll bodies of the HTTP contract, by factor type. */
export type EnrollBody =
  | { readonly type: 'sms'; readonly phoneNumber: string }
  | { readonly type: 'email'; readonly email: string }
  | { readonly type: 'totp' }
  | { readonly type: 'pin'; readonly pin: string }
  | { readonly type: 'recovery_code' }
  | { readonly type: 'webauthn'; readonly displayName?: string };

export type EnrollDeps = Pick<TaskDeps, 'config' | 'random' | 'secretBox' | 'otpKeys'>;

export interface DraftArgs<B extends EnrollBody> {
  readonly clientId: string;
  readonly userId: string;
  readonly factorId: string;
  readonly createdAt: string;
  readonly nowSeconds: number;
  readonly body: B;
}

/** A new factor, not stored yet, and what its enrollment answer shows once (TOTP: the secret). */
export interface Draft {
  readonly factor: StoredFactor;
  readonly shown?: Readonly<Record<string, unknown>>;
}

/**
 * How a kind enrolls: validates the profile of the enroll body (400s with their codes) and
 * makes the pending factor: a destination to send an activation code to, or a secret. A
 * factor with a `destinationHash` is unique per user (a second enroll of a pending one sends
 * a fresh code).
 */
export interface Enrollment<B extends EnrollBody = EnrollBody> {
  draft(deps: EnrollDeps, args: DraftArgs<B>): Promise<Draft>;
}

export type Enrollments = {
  readonly [T in FactorType]: Enrollment<Extract<EnrollBody, { type: T }>>;
};
