/**
 * The one error type of the service. Every failure a caller can see has a stable `code`;
 * the table below maps it to its HTTP status and title (RFC 9457 problem documents).
 */
export const errorTable = {
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_phone_number: { status: 400, title: 'Invalid phone number' },
  invalid_email: { status: 400, title: 'Invalid email address' },
  country_not_allowed: { status: 400, title: 'Country not allowed' },
  weak_pin: { status: 400, title: 'Weak PIN' },
  invalid_client: { status: 401, title: 'Invalid client' },
  invalid_passcode: { status: 401, title: 'Invalid passcode' },
  invalid_credential: { status: 401, title: 'Invalid credential' },
  invalid_token: { status: 401, title: 'Invalid token' },
  insufficient_user_authentication: { status: 401, title: 'Insufficient user authentication' },
  access_denied: { status: 403, title: 'Access denied' },
  invalid_consent: { status: 403, title: 'Invalid consent' },
  locked_out: { status: 403, title: 'Locked out' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  invalid_state: { status: 409, title: 'Invalid state' },
  factor_exists: { status: 409, title: 'Factor exists' },
  too_many_factors: { status: 409, title: 'Too many factors' },
  too_many_payees: { status: 409, title: 'Too many trusted payees' },
  expired: { status: 410, title: 'Expired' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  resend_too_soon: { status: 429, title: 'Resend too soon' },
  too_many_challenges: { status: 429, title: 'Too many challenges' },
  rate_limited: { status: 429, title: 'Rate limited' },
  internal_error: { status: 500, title: 'Internal error' },
  delivery_failed: { status: 503, title: 'Delivery failed' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorTable;

/** Extra problem members a code may carry (`attemptsRemaining`, `transactionId`, ...). */
export type ProblemExtras = Record<string, string | number | boolean>;

export class MfaError extends Error {
  override readonly name = 'MfaError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    /** Safe for the caller: never put a secret, code, token, phone number or email here. */
    readonly detail?: string,
    readonly extras: ProblemExtras = {},
    /** Response headers the error needs (`WWW-Authenticate`, `Retry-After`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? errorTable[code].title);
    this.status = errorTable[code].status;
  }
}

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.hasOwn(errorTable, value);

/**
 * The answer to a counted wrong code: 401 with the attempts left, or 403 when that was the
 * last one and the transaction (or activation) has ended.
 */
export const wrongCodeError = (
  remaining: number,
  ended: 'transaction' | 'activation',
  code: 'invalid_passcode' | 'invalid_credential' = 'invalid_passcode',
) =>
  remaining <= 0
    ? new MfaError('locked_out', `Too many wrong codes: the ${ended} has ended`)
    : code === 'invalid_credential'
      ? new MfaError('invalid_credential', 'The passkey response does not verify', {
          attemptsRemaining: remaining,
        })
      : new MfaError('invalid_passcode', 'The code is not right', { attemptsRemaining: remaining });

/** AWS error names that mean "busy, try again shortly" (after the SDK's own retries). */
const TRANSIENT = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ExecutionLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
]);

/**
 * A busy or briefly unavailable AWS service as the caller's answer: 503 service_unavailable
 * with `Retry-After: 1`, instead of a generic 500. Undefined for any other error.
 */
export const transientProblem = (error: unknown): MfaError | undefined =>
  error instanceof Error && TRANSIENT.has(error.name)
    ? new MfaError(
        'service_unavailable',
        'The service is busy: try again in a moment',
        {},
        {
          'retry-after': '1',
        },
      )
    : undefined;
