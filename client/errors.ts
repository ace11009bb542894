/** A JSON value, as a problem document's extra members carry them. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [member: string]: JsonValue };

/** The stable codes the service answers with (API.md; the service's `shared/errors.ts`). */
export type ServiceErrorCode =
  | 'invalid_request'
  | 'invalid_phone_number'
  | 'invalid_email'
  | 'country_not_allowed'
  | 'weak_pin'
  | 'invalid_client'
  | 'invalid_passcode'
  | 'invalid_credential'
  | 'invalid_token'
  | 'insufficient_user_authentication'
  | 'access_denied'
  | 'invalid_consent'
  | 'locked_out'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_state'
  | 'factor_exists'
  | 'too_many_factors'
  | 'too_many_payees'
  | 'expired'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'resend_too_soon'
  | 'too_many_challenges'
  | 'rate_limited'
  | 'internal_error'
  | 'delivery_failed'
  | 'service_unavailable';

/**
 * Failures the client saw itself: no answer (`network_error`, `timeout`, `aborted`: status
 * 0), an answer that is not the contract's (`invalid_response`: the HTTP status it had), or
 * an argument no request can carry (`invalid_argument`: status 0, nothing sent).
 */
export type ClientErrorCode =
  | 'network_error'
  | 'timeout'
  | 'aborted'
  | 'invalid_response'
  | 'invalid_argument';

/** Codes are open: the contract may add some; `string & {}` keeps the known ones suggested. */
export type MfaApiErrorCode = ServiceErrorCode | ClientErrorCode | (string & {});

export interface MfaApiErrorInit {
  readonly status: number;
  readonly code: MfaApiErrorCode;
  readonly detail: string;
  readonly title?: string;
  readonly requestId?: string;
  /** Seconds, from `Retry-After` (or a `retryAfter` member). */
  readonly retryAfter?: number;
  readonly wwwAuthenticate?: string;
  readonly extras?: Readonly<Record<string, JsonValue>>;
  readonly cause?: unknown;
}

const numberIn = (extras: Readonly<Record<string, JsonValue>>, name: string) => {
  const value = extras[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};
const stringIn = (extras: Readonly<Record<string, JsonValue>>, name: string) => {
  const value = extras[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Every failure of an `MfaClient` call: an RFC 9457 problem the service answered, or one of
 * the client's own codes (`ClientErrorCode`). Branch on `code`, never on the message.
 *
 * @example
 * try {
 *   await mfa.verify(factorId, { stateToken, passCode });
 * } catch (error) {
 *   if (isMfaApiError(error, 'invalid_passcode')) showRetry(error.attemptsRemaining);
 *   else throw error;
 * }
 */
export class MfaApiError extends Error {
  override readonly name = 'MfaApiError';
  /** The HTTP status; 0 when no answer came (or nothing was sent). */
  readonly status: number;
  readonly code: MfaApiErrorCode;
  /** The problem's `detail` (else its `title`): safe to log, never a secret. */
  readonly detail: string;
  readonly title?: string;
  /** The problem's `requestId`, else the `x-request-id` header: quote it to the operator. */
  readonly requestId?: string;
  /** `invalid_passcode`: wrong codes left before the transaction (or activation) ends. */
  readonly attemptsRemaining?: number;
  /** 429 and 503: seconds to wait before trying again. */
  readonly retryAfter?: number;
  /** `access_denied`, `invalid_consent`: the transaction the refusal ended. */
  readonly transactionId?: string;
  /** `access_denied` by policy: the id of the rule that denied. */
  readonly rule?: string;
  /** `insufficient_user_authentication`: the age (seconds) the user's MFA may have at most. */
  readonly maxAge?: number;
  /** The `WWW-Authenticate` challenge of a 401, when the answer had one. */
  readonly wwwAuthenticate?: string;
  /**
   * Every member of the problem beyond RFC 9457's own (`type`, `title`, `status`, `detail`,
   * `instance`) and `code` and `requestId`: the typed fields above included.
   */
  readonly extras: Readonly<Record<string, JsonValue>>;

  constructor(init: MfaApiErrorInit) {
    super(
      `${init.status > 0 ? `HTTP ${init.status} ` : ''}${init.code}: ${init.detail}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    const extras = init.extras ?? {};
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.title = init.title;
    this.requestId = init.requestId;
    this.extras = extras;
    this.attemptsRemaining = numberIn(extras, 'attemptsRemaining');
    this.retryAfter = init.retryAfter ?? numberIn(extras, 'retryAfter');
    this.transactionId = stringIn(extras, 'transactionId');
    this.rule = stringIn(extras, 'rule');
    this.maxAge = numberIn(extras, 'maxAge');
    this.wwwAuthenticate = init.wwwAuthenticate;
  }
}

/** Whether `value` is an `MfaApiError` (with this `code`, when given). */
export const isMfaApiError = (value: unknown, code?: MfaApiErrorCode): value is MfaApiError =>
  value instanceof MfaApiError && (code === undefined || value.code === code);
