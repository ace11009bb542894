import type { MfaTokenClaims } from './domain/mfa-token.js';
import type { ErrorCode, ProblemExtras } from './errors.js';
import type { PreviousChallenge, TransactionRef } from './ports/store.js';

/**
 * The contract between the API handlers and the `MfaFlow` state machine. Inputs never carry
 * a raw secret: state tokens travel as their SHA-256 and pass codes as an HMAC, so nothing
 * secret reaches the Step Functions execution input.
 */
interface FlowBase {
  readonly requestId: string;
  readonly clientId: string;
  readonly stateTokenHash: string;
}

export interface StartInput extends FlowBase {
  readonly operation: 'start';
  readonly userId: string;
  readonly context?: {
    readonly ip?: string;
    readonly userAgent?: string;
    readonly deviceId?: string;
    readonly country?: string;
  };
  readonly transaction?: {
    readonly amount: string;
    readonly currency: string;
    readonly payee: string;
  };
  readonly consentId?: string;
}

/** A step on an existing transaction: the state token names the user item it lives in. */
interface TransactionStep extends FlowBase {
  /** SHA-256 of the user id, from the state token. */
  readonly userRef: string;
}

export interface ChallengeInput extends TransactionStep {
  readonly operation: 'challenge';
  readonly factorId: string;
}

export interface VerifyInput extends TransactionStep {
  readonly operation: 'verify';
  readonly factorId: string;
  /** HMAC of the submitted code, bound to this transaction and factor. */
  readonly passCodeMac: string;
}

export interface CancelInput extends TransactionStep {
  readonly operation: 'cancel';
}

export interface StatusInput extends TransactionStep {
  readonly operation: 'status';
}

export type FlowInput = StartInput | ChallengeInput | VerifyInput | CancelInput | StatusInput;

/** What every workflow branch returns: a body for the caller, or a problem code. */
export type FlowOutcome =
  | {
      readonly ok: true;
      readonly body: Record<string, unknown>;
      /** Verify only: the claims the API handler signs into the MFA token. */
      readonly claims?: Omit<MfaTokenClaims, 'iss' | 'iat' | 'exp' | 'jti'>;
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly detail?: string;
      readonly extras?: ProblemExtras;
    };

/** The transaction a step names. */
export const transactionRef = (step: {
  clientId: string;
  userRef: string;
  stateTokenHash: string;
}): TransactionRef => ({
  clientId: step.clientId,
  userRef: step.userRef,
  stateTokenHash: step.stateTokenHash,
});

/** A message the workflow delivers itself (SNS Publish / SES SendEmail) after the challenge task. */
export interface Delivery {
  readonly channel: 'sms' | 'email';
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** What the workflow needs to take a send back when delivery fails for good. */
export interface UndoChallenge {
  readonly requestId: string;
  readonly clientId: string;
  readonly userRef: string;
  readonly stateTokenHash: string;
  readonly transactionId: string;
  readonly factorId: string;
  readonly codeMac: string;
  readonly previous: PreviousChallenge;
  /** The hourly counters the send took (destination, the app's SMS budget). */
  readonly rateKeys: readonly string[];
}

/** Output of the challenge task: the outcome, plus a delivery for sms/email. */
export interface ChallengeTaskOutput {
  readonly outcome: FlowOutcome;
  readonly delivery?: Delivery;
  readonly undo?: UndoChallenge;
}

/** Port: runs one synchronous execution of `MfaFlow` (StartSyncExecution on AWS). */
export interface Workflow {
  run(input: FlowInput): Promise<FlowOutcome>;
}

/** Tag on every Lambda function naming its module under `functions/`; the local runtime maps tasks by it. */
export const HANDLER_TAG = 'mfa:handler';
