import type * as z from 'zod/mini';
import type { ErrorCode } from '../errors.js';
import * as res from '../http/responses.js';
import * as req from '../http/schemas.js';
import type { HttpMethod } from '../routes.js';
import { answerExamples as answers, requestExamples as requests } from './examples.js';

export type Tag = 'Operational' | 'Keys' | 'Factors' | 'Authentication' | 'Trusted payees' | 'Demo';

export type Examples = Readonly<
  Record<string, { readonly summary?: string; readonly value: unknown }>
>;

/** A success answer of a route. */
export interface Answer {
  readonly description: string;
  /** The body (none: an empty body, as 204). */
  readonly schema?: z.ZodMiniType;
  readonly examples?: Examples;
  /** Its `Cache-Control`, when not `no-store`. */
  readonly cacheControl?: string;
}

/**
 * What the OpenAPI document says about one route of the table, beyond what the table says
 * itself (path, method, auth, `maxAge`, `acr`). Schemas are the very objects the handlers use
 * (test/unit/openapi-document.test.ts checks `body` against the handler's own).
 */
export interface OperationDoc {
  readonly operationId: string;
  readonly tag: Tag;
  readonly summary: string;
  readonly description?: string;
  /** The request body schema the handler parses (none: the route reads no body). */
  readonly body?: z.ZodMiniType;
  readonly bodyExamples?: Examples;
  /** The `X-MFA-Token` header: the user's MFA token for a stepped-up change. */
  readonly mfaTokenHeader?: 'required' | 'optional';
  readonly answers: Readonly<Partial<Record<200 | 201 | 204, Answer>>>;
  /**
   * Error codes of this route beyond those its kind always has (`commonErrors` in
   * document.ts: app authentication, the body rules, path parameters, throttling, 500).
   */
  readonly errors: readonly ErrorCode[];
}

export type RouteKey = `${HttpMethod} ${string}`;

/** The user's MFA token for factor changes when `FACTOR_CHANGE_MAX_AGE_SECONDS` is on. */
const FACTOR_STEP_UP: readonly ErrorCode[] = ['insufficient_user_authentication', 'invalid_token'];
/** A step on a transaction named by its state token. */
const TRANSACTION: readonly ErrorCode[] = ['not_found', 'invalid_state', 'expired', 'locked_out'];
/** Sending a code: cooldown, hourly limits and SMS budget, delivery. */
const SENDING: readonly ErrorCode[] = ['resend_too_soon', 'rate_limited', 'delivery_failed'];

const demo = (operationId: string, summary: string): OperationDoc => ({
  operationId,
  tag: 'Demo',
  summary,
  answers: {
    200: {
      description: 'What the MFA authorizer let through',
      schema: res.demoResponse,
      examples: answers.demo,
    },
  },
  errors: [],
});

/** Every route of the table, by `METHOD path` (the key set must equal the table's). */
export const operations: Readonly<Record<RouteKey, OperationDoc>> = {
  'GET /health': {
    operationId: 'getHealth',
    tag: 'Operational',
    summary: 'Liveness',
    answers: {
      200: { description: 'Alive', schema: res.healthResponse, examples: answers.health },
    },
    errors: [],
  },
  'GET /.well-known/jwks.json': {
    operationId: 'getJwks',
    tag: 'Keys',
    summary: 'The public keys that verify MFA tokens and receipts',
    answers: {
      200: {
        description: 'Public JWKs (never a private member)',
        schema: res.jwksResponse,
        examples: answers.jwks,
        cacheControl: 'public, max-age=300',
      },
    },
    errors: ['service_unavailable'],
  },
  'GET /.well-known/openid-configuration': {
    operationId: 'getOpenidConfiguration',
    tag: 'Keys',
    summary: 'The issuer and where it publishes its keys',
    answers: {
      200: {
        description: 'Discovery document',
        schema: res.openidConfigurationResponse,
        examples: answers.openid,
        cacheControl: 'public, max-age=300',
      },
    },
    errors: [],
  },
  'POST /v1/authn': {
    operationId: 'startAuthn',
    tag: 'Authentication',
    summary: 'Start an authentication transaction',
    description:
      'The app\'s policy decides: deny (403 `access_denied`), an exemption (`SUCCESS` with an `acr: "exempt"` token), or the factors to prove (`MFA_REQUIRED`; `MFA_ENROLL` for a user without an active factor that can meet the level). Too many open transactions of the user: 429 `rate_limited`.',
    body: req.startBody,
    bodyExamples: requests.start,
    answers: {
      200: { description: 'The decision', schema: res.startResponse, examples: answers.start },
    },
    errors: ['access_denied', 'invalid_consent'],
  },
  'POST /v1/authn/factors/{factorId}/challenge': {
    operationId: 'challengeFactor',
    tag: 'Authentication',
    summary:
      'Send a one-time code (sms, email), or a passkey challenge bound to the transaction (webauthn); a no-op for totp and pin',
    body: req.stateTokenBody,
    bodyExamples: requests.stateToken,
    answers: {
      200: {
        description: 'Challenged',
        schema: res.challengeResponse,
        examples: answers.challenge,
      },
    },
    errors: [...TRANSACTION, ...SENDING, 'too_many_challenges'],
  },
  'POST /v1/authn/factors/{factorId}/verify': {
    operationId: 'verifyFactor',
    tag: 'Authentication',
    summary: 'Verify a code or PIN, or a passkey assertion (`credential`)',
    description:
      'A code is good once. The 5th wrong code ends the transaction (403 `locked_out`). A passkey answers with `credential` (AuthenticationResponseJSON, type `webauthn.get` or SPC `payment.get`); one that does not verify is 401 `invalid_credential` and counts as a wrong code. When the level needs another category, the answer is `MFA_REQUIRED` with the same state token.',
    body: req.verifyBody,
    bodyExamples: requests.verify,
    answers: {
      200: { description: 'Verified', schema: res.verifyResponse, examples: answers.verify },
    },
    errors: [...TRANSACTION, 'invalid_passcode', 'invalid_credential'],
  },
  'POST /v1/authn/cancel': {
    operationId: 'cancelAuthn',
    tag: 'Authentication',
    summary: 'Cancel a transaction',
    body: req.stateTokenBody,
    bodyExamples: requests.stateToken,
    answers: {
      200: { description: 'Cancelled', schema: res.cancelResponse, examples: answers.cancel },
    },
    errors: TRANSACTION,
  },
  'POST /v1/authn/status': {
    operationId: 'getAuthnStatus',
    tag: 'Authentication',
    summary: 'The status of a transaction',
    body: req.stateTokenBody,
    bodyExamples: requests.stateToken,
    answers: {
      200: { description: 'Its status', schema: res.statusResponse, examples: answers.status },
    },
    errors: ['not_found'],
  },
  'POST /v1/users/{userId}/factors': {
    operationId: 'enrollFactor',
    tag: 'Factors',
    summary: 'Enroll a factor',
    description:
      'sms and email: an activation code is sent (enrolling a pending address again sends a fresh one). totp: the secret is shown only here. pin: active at once. recovery_code: active at once, its 10 codes shown only here (`activation.codes`); one set per user (delete it to regenerate). webauthn: `activation.publicKey` holds the creation options; activate with the registration (`credential`).',
    body: req.enrollBody,
    bodyExamples: requests.enroll,
    mfaTokenHeader: 'optional',
    answers: {
      201: { description: 'Enrolled', schema: res.enrollResponse, examples: answers.enroll },
    },
    errors: [
      'invalid_phone_number',
      'invalid_email',
      'country_not_allowed',
      'weak_pin',
      'factor_exists',
      'too_many_factors',
      'invalid_state',
      ...SENDING,
      ...FACTOR_STEP_UP,
    ],
  },
  'GET /v1/users/{userId}/factors': {
    operationId: 'listFactors',
    tag: 'Factors',
    summary: "The user's factors (masked profiles)",
    answers: {
      200: {
        description: 'Factors, oldest first',
        schema: res.factorListResponse,
        examples: answers.factors,
      },
    },
    errors: [],
  },
  'POST /v1/users/{userId}/factors/{factorId}/activate': {
    operationId: 'activateFactor',
    tag: 'Factors',
    summary: 'Activate a factor with its first code, or a passkey with its registration',
    body: req.activateBody,
    bodyExamples: requests.activate,
    mfaTokenHeader: 'optional',
    answers: {
      200: { description: 'Active', schema: res.activateResponse, examples: answers.activate },
    },
    errors: [
      'invalid_passcode',
      'invalid_credential',
      'locked_out',
      'expired',
      'invalid_state',
      ...FACTOR_STEP_UP,
    ],
  },
  'POST /v1/users/{userId}/factors/{factorId}/resend': {
    operationId: 'resendActivationCode',
    tag: 'Factors',
    summary: 'A fresh activation code (sms, email)',
    body: req.emptyBody,
    bodyExamples: requests.empty,
    mfaTokenHeader: 'optional',
    answers: { 200: { description: 'Sent', schema: res.resendResponse, examples: answers.resend } },
    errors: ['invalid_state', ...SENDING, ...FACTOR_STEP_UP],
  },
  'DELETE /v1/users/{userId}/factors/{factorId}': {
    operationId: 'deleteFactor',
    tag: 'Factors',
    summary: 'Delete a factor and its secret',
    mfaTokenHeader: 'optional',
    answers: { 204: { description: 'Deleted' } },
    errors: ['invalid_state', ...FACTOR_STEP_UP],
  },
  'GET /v1/users/{userId}/trusted-payees': {
    operationId: 'listTrustedPayees',
    tag: 'Trusted payees',
    summary: "The user's trusted beneficiaries (PSD2 RTS Art. 13)",
    answers: {
      200: {
        description: 'Trusted payees',
        schema: res.trustedPayeeListResponse,
        examples: answers.payees,
      },
    },
    errors: [],
  },
  'POST /v1/users/{userId}/trusted-payees': {
    operationId: 'addTrustedPayee',
    tag: 'Trusted payees',
    summary: 'Trust a payee (or rename one)',
    description:
      'Needs `X-MFA-Token`: the user\'s token with `acr: "sca"`, at most 300 s old, that approved no payment and no consent.',
    body: req.trustedPayeeBody,
    bodyExamples: requests.trustedPayee,
    mfaTokenHeader: 'required',
    answers: {
      201: { description: 'Trusted', schema: res.trustedPayeeResponse, examples: answers.payee },
    },
    errors: ['insufficient_user_authentication', 'too_many_payees', 'invalid_state'],
  },
  'DELETE /v1/users/{userId}/trusted-payees/{payeeAccount}': {
    operationId: 'removeTrustedPayee',
    tag: 'Trusted payees',
    summary: 'Stop trusting a payee',
    description: 'Needs `X-MFA-Token` as adding one does. A payee not on the list: 404.',
    mfaTokenHeader: 'required',
    answers: { 204: { description: 'Removed' } },
    errors: ['insufficient_user_authentication', 'invalid_state'],
  },
  'GET /demo': demo('getDemo', 'Public demo route'),
  'GET /demo/dogs': demo('getDemoDogs', 'Any valid MFA token'),
  'GET /demo/cats': demo('getDemoCats', 'A recent MFA'),
  'GET /demo/payments': demo('getDemoPayments', 'Strong Customer Authentication'),
  'GET /openapi.json': {
    operationId: 'getOpenApi',
    tag: 'Operational',
    summary: 'This description (OpenAPI 3.1)',
    answers: {
      200: {
        description: 'Generated from the route table and the schemas',
        schema: res.openapiResponse,
        examples: answers.openapi,
        cacheControl: 'public, max-age=300',
      },
    },
    errors: [],
  },
};
