// zod/mini: the same validators as the chained `zod` API, for a fraction of each bundle.
import * as z from 'zod/mini';
import { fitsMinorUnit, isCurrencyCode } from '../domain/currency.js';
import { toDisplayText } from '../domain/display-text.js';
import { FACTOR_ID } from '../domain/factor-id.js';
import { MfaError } from '../errors.js';

/**
 * A zod/mini string schema for display text of at most `maxCodePoints` characters: refuses
 * what `toDisplayText` refuses (one issue, the first rule broken) and outputs the NFC form.
 *
 * @example
 * const payee = displayText(70);
 * payee.parse('Mu\u0308ller'); // 'Müller'
 */
export const displayText = (maxCodePoints: number) =>
  z.string().check(
    // Also in the API description (`minLength`), for validators generated from it; the same
    // words as `toDisplayText`'s. The length limit counts code points after NFC: prose only.
    z.minLength(1, 'must not be empty'),
    z.check<string>((payload) => {
      const result = toDisplayText(payload.value, maxCodePoints);
      // Empty is minLength's to say (once).
      if (!result.ok && result.problem !== 'empty') {
        payload.issues.push({ code: 'custom', message: result.message, input: payload.value });
      }
    }),
    // Runs after the check; on refused text its output is discarded with the issue.
    z.overwrite((value) => value.normalize('NFC')),
    // What the API description says of the field (JSON Schema cannot express these rules).
    z.describe(
      `Display text: 1-${maxCodePoints} characters (code points after NFC), with a letter, digit or emoji; no control, format (bidi, zero-width), separator, private-use, unassigned or invisible characters. Stored and shown as NFC.`,
    ),
  );

// Each rule carries the words the problem detail shows: what the field must be, never the value.
const pattern = (regex: RegExp, rule = 'has the wrong format') =>
  z.string().check(z.regex(regex, rule));

/** Request bodies and path parameters of the HTTP contract (API.md). Unknown fields are dropped. */
export const userIdSchema = pattern(
  /^[A-Za-z0-9._@:-]{1,128}$/,
  'must be 1-128 characters of A-Z a-z 0-9 . _ @ : -',
);

/** SEPA's limit for a creditor name (ISO 20022 Max70Text), so a payee fits any bank's record. */
export const MAX_PAYEE_CHARACTERS = 70;

/**
 * The payee's account id (an IBAN or another account id): what trusted payees are keyed by,
 * and a path segment of `DELETE …/trusted-payees/{payeeAccount}`. It starts with a letter or
 * digit (no `.`, `..` or `__proto__`) and has no `/`.
 */
export const payeeAccountSchema = pattern(
  /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
  'must be 1-64 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit',
);

const transaction = z
  .object({
    amount: pattern(
      /^(0|[1-9]\d{0,11})(\.\d{1,4})?$/,
      'must be a decimal string such as "250.00" (no sign, exponent or separators)',
    ),
    currency: z
      .string()
      .check(
        z.refine(isCurrencyCode, 'must be an upper-case ISO 4217 currency code such as "EUR"'),
        z.describe('ISO 4217 alphabetic code of a current currency, e.g. "EUR"'),
      ),
    payee: displayText(MAX_PAYEE_CHARACTERS),
    // v1.1: what trusted beneficiaries are keyed by (an IBAN or another account id), and
    // whether the payment belongs to a recurring series (policy exemptions).
    payeeAccount: z.optional(payeeAccountSchema),
    recurring: z.optional(z.boolean()),
  })
  // Runs even when a field failed on its own (zod reports every issue): a currency that is
  // not a listed one has its own error, and no minor unit to say more of the amount.
  .check(
    z.refine(
      (value) => !isCurrencyCode(value.currency) || fitsMinorUnit(value.amount, value.currency),
      {
        message: "must have no more decimal places than the currency's minor unit (JPY 0, EUR 2)",
        path: ['amount'],
      },
    ),
    z.describe("`amount` has no more decimals than the currency's minor unit (JPY 0, EUR 2)."),
  );

export const startBody = z.object({
  userId: userIdSchema,
  // Context strings are kept in the audit trail and may be shown to people reading it.
  context: z.optional(
    z.object({
      ip: z.optional(displayText(64)),
      userAgent: z.optional(displayText(512)),
      deviceId: z.optional(displayText(128)),
      // v1.1: the app's own transaction risk analysis, 0-100 (policy rules and TRA).
      riskScore: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(100))),
      primaryAuth: z.optional(
        z.enum(['knowledge', 'possession', 'inherence', 'none'], {
          error: 'must be one of knowledge, possession, inherence, none',
        }),
      ),
      country: z.optional(pattern(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as "GB"')),
    }),
  ),
  transaction: z.optional(transaction),
  // ASCII only by this pattern, so it needs no display-text rule.
  consentId: z.optional(
    pattern(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'),
  ),
});

const stateToken = pattern(
  /^[A-Za-z0-9_.-]{16,128}$/,
  'must be 16-128 characters of A-Z a-z 0-9 _ . -',
);
const passCode = pattern(/^\d{6,8}$/, 'must be 6-8 digits');

/** A base64url member of a WebAuthn response JSON, at most `max` characters. */
const b64u = (max: number) =>
  z.string().check(z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));
const credentialBase = {
  // A credential id is at most 1023 bytes (WebAuthn Level 3).
  id: b64u(1364),
  rawId: b64u(1364),
  type: z.literal('public-key'),
};

/**
 * `PublicKeyCredential.toJSON()` of `navigator.credentials.get()` (AuthenticationResponseJSON),
 * trimmed to what verifying needs: other members are dropped.
 */
export const assertionSchema = z.object({
  ...credentialBase,
  response: z.object({
    clientDataJSON: b64u(8192),
    authenticatorData: b64u(2048),
    signature: b64u(1024),
    userHandle: z.optional(b64u(128)),
  }),
});

/** `PublicKeyCredential.toJSON()` of `navigator.credentials.create()` (RegistrationResponseJSON). */
export const registrationSchema = z.object({
  ...credentialBase,
  response: z.object({
    clientDataJSON: b64u(8192),
    attestationObject: b64u(12288),
    transports: z.optional(
      z.array(z.string().check(z.minLength(1), z.maxLength(32))).check(z.maxLength(8)),
    ),
  }),
});

export const stateTokenBody = z.object({ stateToken });
// A one-time code (6-8 digits) or a PIN: each factor kind checks its own form (flow-request.ts);
// a passkey answers with `credential` instead.
export const verifyBody = z.object({
  stateToken,
  passCode: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  credential: z.optional(assertionSchema),
});
export const activateBody = z.object({
  passCode: z.optional(passCode),
  credential: z.optional(registrationSchema),
});

const bounded = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

export const enrollBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sms'), phoneNumber: bounded(32) }),
  z.object({ type: z.literal('email'), email: bounded(320) }),
  z.object({ type: z.literal('totp') }),
  // The PIN's own rules (length, weak PINs) answer 400 weak_pin; here only a sane size.
  z.object({ type: z.literal('pin'), pin: z.string().check(z.minLength(1), z.maxLength(256)) }),
  z.object({ type: z.literal('recovery_code') }),
  // The name the browser and the factor list show for this passkey (e.g. "Work laptop").
  z.object({ type: z.literal('webauthn'), displayName: z.optional(displayText(64)) }),
]);

/** A body with no fields (`POST .../resend`); a POST with no body reads as `{}`. */
export const emptyBody = z.object({});

/** A path parameter that must match its schema: 400 for userId, 404 for ids of things. */
export const pathParam = (
  parameters: Readonly<Record<string, string>>,
  name: string,
  schema: z.ZodMiniType<string>,
  onMismatch: 'invalid_request' | 'not_found',
): string => {
  const parsed = schema.safeParse(parameters[name]);
  if (parsed.success) return parsed.data;
  throw new MfaError(
    onMismatch,
    onMismatch === 'not_found' ? 'No such resource' : `Invalid ${name}`,
  );
};

/** `POST /v1/users/{userId}/trusted-payees` (API.md "Trusted beneficiaries"). */
export const trustedPayeeBody = z.object({
  payeeAccount: payeeAccountSchema,
  payee: displayText(MAX_PAYEE_CHARACTERS),
});

export const factorIdSchema = z.string().check(z.regex(FACTOR_ID));
