// zod/mini, as the request schemas (schemas.ts): these describe what the handlers answer. The
// OpenAPI document (shared/openapi/) is generated from them; test/unit/response-types.test.ts
// checks the use cases' return types against them, and test/integration/openapi.test.ts every
// answer of every route against the generated document.
import * as z from 'zod/mini';
import { FACTOR_TYPES } from '../domain/entities.js';
import { type ErrorCode, errorTable } from '../errors.js';
import { factorIdSchema, payeeAccountSchema } from './schemas.js';

/** RFC 3339 UTC, as every time in a body (API.md "Conventions"). */
export const dateTimeSchema = z.iso.datetime();
const dateTime = dateTimeSchema;
/** A count or a number of seconds. */
const whole = z.int().check(z.minimum(0));

const CATEGORIES = ['knowledge', 'possession', 'inherence'] as const;

/** WebAuthn options in their JSON form (WebAuthn Level 3 `toJSON`): members as the browser takes them. */
const webauthnOptions = z.record(z.string(), z.unknown());

/** A factor as every answer shows it: the profile always masked. */
export const factorResponse = z.object({
  id: factorIdSchema,
  type: z.enum(FACTOR_TYPES),
  status: z.enum(['PENDING_ACTIVATION', 'ACTIVE']),
  profile: z
    .object({
      phoneNumber: z.optional(z.string().check(z.describe('sms: masked, e.g. "+44*******123"'))),
      email: z.optional(z.string().check(z.describe('email: masked, e.g. "j***@example.com"'))),
      remaining: z.optional(
        z.number().check(z.int(), z.describe('recovery_code: codes not used yet')),
      ),
      displayName: z.optional(
        z.string().check(z.describe('webauthn: the name given at enrollment, if any')),
      ),
    })
    .check(
      z.describe(
        'Masked: sms `phoneNumber`, email `email`; recovery_code `remaining`; webauthn `displayName` (if given); totp and pin `{}`.',
      ),
    ),
  createdAt: dateTime,
});

/** `POST /v1/users/{userId}/factors` → 201. */
export const enrollResponse = z.object({
  factor: factorResponse,
  activation: z.optional(
    z
      .object({
        expiresAt: z.optional(dateTime),
        codes: z.optional(
          z
            .array(z.string())
            .check(z.describe('recovery_code: the 10 codes, `XXXX-XXXX-XXXX`; shown only here')),
        ),
        secret: z.optional(z.string().check(z.describe('totp: base32, 160 bits; shown only here'))),
        otpauthUri: z.optional(z.string().check(z.describe('totp: `otpauth://totp/...`'))),
        qrCode: z.optional(z.string().check(z.describe('totp: a `data:image/png;base64,` URL'))),
        publicKey: z.optional(
          webauthnOptions.check(
            z.describe(
              'webauthn: PublicKeyCredentialCreationOptions in their JSON form (buffers base64url), for `navigator.credentials.create()`',
            ),
          ),
        ),
      })
      .check(
        z.describe(
          'Absent for a factor active from its enrollment (pin); recovery_code: only `codes`.',
        ),
      ),
  ),
});

/** `POST .../factors/{factorId}/activate` → 200. */
export const activateResponse = z.object({ factor: factorResponse });

/** `POST .../factors/{factorId}/resend` → 200. */
export const resendResponse = z.object({
  factor: factorResponse,
  activation: z.object({ expiresAt: dateTime }),
});

/** `GET /v1/users/{userId}/factors` → 200. */
export const factorListResponse = z.object({ factors: z.array(factorResponse) });

const requirement = z.object({
  level: z.enum(['mfa', 'sca']),
  categories: z
    .array(z.enum(CATEGORIES))
    .check(z.describe('The SCA categories that would still count towards the level.')),
});

/** Opaque; ≥ 128 bits of entropy; valid for 300 s by default. */
const stateToken = z.string();
const transactionId = z.string();

/** A signed MFA token and how to use it. */
const tokenMembers = {
  token: z.string().check(z.describe('The MFA token: a compact JWS, ES256, `typ: mfa+jwt`.')),
  tokenType: z.literal('Bearer'),
  expiresIn: whole.check(z.describe('seconds')),
  receipt: z
    .string()
    .check(
      z.describe(
        'The SCA receipt: a compact JWS (ES256, `typ: sca-receipt+jwt`, the same keys as tokens) recording the operation: binding, factors (a passkey with its own signature), policy. No `exp`: keep it.',
      ),
    ),
};

const mfaRequired = z.object({
  status: z.literal('MFA_REQUIRED'),
  transactionId,
  stateToken,
  expiresAt: dateTime,
  factors: z.array(factorResponse),
  requirement,
});

/** `POST /v1/authn` → 200: factors to prove, enroll first, or an exemption. */
export const startResponse = z.discriminatedUnion('status', [
  mfaRequired,
  z.object({
    status: z.literal('MFA_ENROLL'),
    transactionId,
    factors: z.array(factorResponse).check(z.maxLength(0)),
  }),
  z.object({
    status: z.literal('SUCCESS'),
    transactionId,
    exemption: z.enum([
      'low_value',
      'trusted_beneficiary',
      'recurring',
      'transaction_risk_analysis',
      'remembered_device',
      'policy_rule',
    ]),
    ...tokenMembers,
  }),
]);

/** `POST /v1/authn/factors/{factorId}/challenge` → 200. */
export const challengeResponse = z.object({
  status: z.literal('MFA_CHALLENGE'),
  factorId: factorIdSchema,
  expiresAt: dateTime,
  resendAfter: dateTime,
  binding: z.optional(
    z
      .string()
      .check(
        z.describe(
          'webauthn: b64u(SHA-256(JCS({txn, amount, currency, payee, payeeAccount, consentId}))) of this transaction',
        ),
      ),
  ),
  nonce: z.optional(
    z
      .string()
      .check(
        z.describe(
          "webauthn: this challenge's 16 random bytes (b64u); the WebAuthn challenge is SHA-256(JCS({binding, nonce}))",
        ),
      ),
  ),
  publicKey: z.optional(
    webauthnOptions.check(
      z.describe(
        'webauthn: PublicKeyCredentialRequestOptions JSON for `navigator.credentials.get()`; its challenge is SHA-256(JCS({binding, nonce})) over the transaction',
      ),
    ),
  ),
  securePaymentConfirmation: z.optional(
    webauthnOptions.check(
      z.describe(
        'webauthn with a payment: the SecurePaymentConfirmationRequest (buffers base64url), plus `total` ({currency, value}) for the PaymentRequest details',
      ),
    ),
  ),
});

/** `POST /v1/authn/factors/{factorId}/verify` → 200: the token, or the next factor to prove. */
export const verifyResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('SUCCESS'), transactionId, ...tokenMembers }),
  z.object({
    status: z.literal('MFA_REQUIRED'),
    transactionId,
    stateToken: stateToken.check(z.describe('The same state token: the transaction goes on.')),
    requirement,
    factors: z.array(factorResponse),
  }),
]);

/** `POST /v1/authn/cancel` → 200. */
export const cancelResponse = z.object({ status: z.literal('CANCELLED') });

/** `POST /v1/authn/status` → 200. */
export const statusResponse = z.object({
  status: z.enum([
    'MFA_REQUIRED',
    'MFA_CHALLENGE',
    'SUCCESS',
    'CANCELLED',
    'LOCKED_OUT',
    'EXPIRED',
  ]),
  transactionId,
  expiresAt: dateTime,
  attemptsRemaining: z.optional(
    whole.check(z.describe('While the transaction is open and a code was tried.')),
  ),
});

/** A trusted beneficiary (API.md v1.1). */
export const trustedPayeeResponse = z.object({
  payeeAccount: payeeAccountSchema,
  payee: z.string(),
  addedAt: dateTime,
});

/** `GET /v1/users/{userId}/trusted-payees` → 200. */
export const trustedPayeeListResponse = z.object({ payees: z.array(trustedPayeeResponse) });

/** `GET /health` → 200. */
export const healthResponse = z.object({ status: z.literal('ok') });

/** `GET /.well-known/jwks.json` → 200: public keys only, never a private member. */
export const jwksResponse = z.object({
  keys: z.array(
    z.object({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      alg: z.literal('ES256'),
      use: z.literal('sig'),
      retired_at: z.optional(
        whole.check(
          z.describe(
            'A retired key (kept so that the receipts it signed stay verifiable): NumericDate from which it signed no more; a token it signed later is refused',
          ),
        ),
      ),
    }),
  ),
});

/** `GET /.well-known/openid-configuration` → 200. */
export const openidConfigurationResponse = z.object({
  issuer: z.url(),
  jwks_uri: z.url(),
  id_token_signing_alg_values_supported: z.array(z.literal('ES256')),
});

/** `GET /demo`, `/demo/dogs`, `/demo/cats`, `/demo/payments` → 200. */
export const demoResponse = z.union([
  z.object({ message: z.string() }),
  z.object({
    sub: z.string(),
    txn: z.string(),
    authTime: whole.check(z.describe('epoch seconds')),
    acr: z.string(),
    resource: z.string(),
  }),
]);

/** `GET /openapi.json` → 200: this document. */
export const openapiResponse = z.looseObject({
  openapi: z.string().check(z.regex(/^3\.1\.\d+$/)),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.looseObject({})),
});

const ERROR_CODES = Object.keys(errorTable) as [ErrorCode, ...ErrorCode[]];

/**
 * An RFC 9457 problem document (`application/problem+json`), as `problem.ts` and API
 * Gateway's own refusals (`infra/gateway-responses.ts`, which carry no `detail`) write it.
 */
export const problemResponse = z.object({
  type: z.literal('about:blank'),
  title: z.string(),
  status: z.optional(
    z
      .int()
      .check(
        z.minimum(400),
        z.maximum(599),
        z.describe("The HTTP status; absent only in API Gateway's generic 4xx/5xx."),
      ),
  ),
  code: z.enum(ERROR_CODES).check(z.describe('Stable and machine-readable: match on this.')),
  detail: z.optional(z.string().check(z.describe('For people; never a secret or a value sent.'))),
  requestId: z.string(),
  attemptsRemaining: z.optional(whole.check(z.describe('invalid_passcode'))),
  transactionId: z.optional(z.string().check(z.describe('access_denied, invalid_consent'))),
  rule: z.optional(z.string().check(z.describe('access_denied: the policy rule that denied'))),
  maxAge: z.optional(
    whole.check(z.describe('insufficient_user_authentication: seconds the MFA may be old')),
  ),
});
