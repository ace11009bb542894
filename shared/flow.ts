import type { ErrorCode, ProblemExtras } from './errors.js';

/**
 * The contract between the API handlers and the `MfaFlow` state machine. The input never
 * carries a raw secret: state tokens travel as their SHA-256, so nothing secret can reach
 * the Step Functions execution history.
 */
export interface StartInput {
  readonly operation: 'start';
  readonly requestId: string;
  readonly clientId: string;
  readonly stateTokenHash: string;
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

export type FlowInput = StartInput;

/** What every workflow branch returns: a body for the caller, or a problem code. */
export type FlowOutcome =
  | { readonly ok: true; readonly body: Record<string, unknown> }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly detail?: string;
      readonly extras?: ProblemExtras;
    };

/** Port: runs one synchronous execution of `MfaFlow` (StartSyncExecution on AWS). */
export interface Workflow {
  run(input: FlowInput): Promise<FlowOutcome>;
}

/** Tag on every Lambda function naming its module under `functions/`; the local runtime maps tasks by it. */
export const HANDLER_TAG = 'mfa:handler';
