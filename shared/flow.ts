import type { PreviousChallenge, TransactionRef } from './domain/entities.js';
import type { MfaTokenClaims } from './domain/mfa-token.js';
import type { Policy } from './domain/policy/index.js';
import type { ReceiptContent } from './domain/receipt.js';
import { type ErrorCode, isErrorCode, MfaError, type ProblemExtras } from './errors.js';
import type { AssertionJson } from './factors/webauthn/assertion.js';
import type { AuditEvent } from './ports/events.js';

/**
 * The contract between the API handlers and the `MfaFlow` state machine. Inputs never carry
 * a raw secret: state tokens travel as their SHA-256 and pass codes as an HMAC, so nothing
 * secret reaches the Step Functions execution input (a passkey's signed response is no
 * secret: it signs a single-use challenge bound to the transaction).
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
    /** The SCA category of the app's own sign-in (API.md "Factor categories"). */
    readonly primaryAuth?: 'knowledge' | 'possession' | 'inherence' | 'none';
    /** The app's transaction risk analysis, 0-100. */
    readonly riskScore?: number;
  };
  readonly transaction?: {
    readonly amount: string;
    readonly currency: string;
    readonly payee: string;
    readonly payeeAccount?: string;
    readonly recurring?: boolean;
  };
  readonly consentId?: string;
  /** The app's policy (read with its client record; absent: require mfa, as in v1). */
  readonly policy?: Policy;
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
  readonly passCodeMac?: string;
  /** A passkey's signed response (AuthenticationResponseJSON, trimmed): not a secret. */
  readonly credential?: AssertionJson;
}

export interface CancelInput extends TransactionStep {
  readonly operation: 'cancel';
}

export interface StatusInput extends TransactionStep {
  readonly operation: 'status';
}

export type FlowInput = StartInput | ChallengeInput | VerifyInput | CancelInput | StatusInput;

/** The claims verify returns; the API handler adds `iss`, `iat`, `exp`, `jti` and signs them. */
export type VerifiedClaims = Omit<MfaTokenClaims, 'iss' | 'iat' | 'exp' | 'jti'>;

/** What the workflow answers when it accepts the request: the body, and for verify the claims. */
export interface FlowResult {
  readonly body: Record<string, unknown>;
  /** Verify only: the claims the API handler signs into the MFA token. */
  readonly claims?: VerifiedClaims;
  /** With the claims: what the API handler adds to them to sign the SCA receipt. */
  readonly receipt?: ReceiptContent;
  /**
   * With the claims: the operation's audit events, recorded on the user's chain by the task's
   * write; the API handler publishes them while it signs, so PutEvents is not a wait of its own.
   */
  readonly events?: readonly AuditEvent[];
}

/**
 * What every workflow branch returns, as data the state machine can route on: a result for
 * the caller, or a problem code. It exists only inside the workflow: `Workflow.run` turns it
 * back into a `FlowResult` or an `MfaError` (`flowResult`).
 */
export type FlowOutcome =
  | ({ readonly ok: true } & FlowResult)
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
  /** epoch seconds of the send: the counters are given back in the hour they were taken */
  readonly takenAt: number;
}

/** Output of the challenge task: the outcome, plus a delivery for sms/email. */
export interface ChallengeTaskOutput {
  readonly outcome: FlowOutcome;
  readonly delivery?: Delivery;
  readonly undo?: UndoChallenge;
}

/**
 * Port: runs one synchronous execution of `MfaFlow` (StartSyncExecution on AWS,
 * aws-local-stepfunctions locally). Resolves to the result, or rejects with the refusal as the
 * same `MfaError` the task threw (`flowResult`); a failed execution rejects with any other
 * error (a generic 500).
 */
export interface Workflow {
  run(input: FlowInput): Promise<FlowResult>;
}

// A refusal's Retry-After travels through the workflow as this extra, and back into the header.
const RETRY_AFTER = 'retryAfter';

/** A task's `MfaError` as a workflow outcome: data the state machine can carry and route on. */
export const refusal = (error: MfaError): FlowOutcome => {
  const retryAfter = error.headers['retry-after'];
  return {
    ok: false,
    code: error.code,
    detail: error.detail,
    extras: { ...error.extras, ...(retryAfter ? { [RETRY_AFTER]: Number(retryAfter) } : {}) },
  };
};

/**
 * The workflow's output as what `Workflow.run` answers: the result, or the task's refusal
 * thrown again as an `MfaError` (code, detail, extras, and Retry-After as a header). Both
 * adapters call it, so they cannot drift. Output of any other shape is a plain `Error` (500).
 *
 * @example
 * const { body } = flowResult(JSON.parse(out.output)); // throws MfaError('expired', ...)
 */
export const flowResult = (output: unknown): FlowResult => {
  const outcome = output as Partial<FlowOutcome> | null;
  if (outcome?.ok === true && isRecord(outcome.body)) {
    const { body, claims, receipt, events } = outcome;
    return {
      body,
      ...(claims === undefined ? {} : { claims }),
      ...(receipt === undefined ? {} : { receipt }),
      ...(events === undefined ? {} : { events }),
    };
  }
  if (outcome?.ok === false && isErrorCode(outcome.code)) {
    const { [RETRY_AFTER]: retryAfter, ...extras } = outcome.extras ?? {};
    const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) };
    throw new MfaError(outcome.code, outcome.detail, extras, headers);
  }
  throw new Error('MfaFlow returned no outcome');
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Tag on every Lambda function naming its module under `functions/`; the local runtime maps tasks by it. */
export const HANDLER_TAG = 'mfa:handler';
