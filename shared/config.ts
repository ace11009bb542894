// zod/mini, as in shared/authz: the same validators for a fraction of the bundle (this module
// is in every function). Behaviour is that of the chained `zod` schemas it replaced.
import * as z from 'zod/mini';
import { DECIMAL_DIGITS } from './config-parse.js';
import { displayText } from './domain/display-text.js';
import { type Policy, parsePolicy } from './domain/policy/index.js';

/**
 * The one configuration schema. Lambda functions read the `service` part from their
 * environment at cold start; the local runtime reads both parts. Each entry's description
 * is the README's configuration table (a test keeps them in step).
 */
const described = <T extends z.ZodMiniType>(schema: T, description: string): T =>
  schema.check(z.describe(description));

/**
 * A whole number written in plain decimal digits: an empty value, spaces, `0x12c` or `3e2`
 * is refused (coercion alone would read `''` as 0 and turn a limit off).
 */
const wholeNumber = (min: number, max: number) =>
  z.pipe(
    z.pipe(
      z.string().check(z.regex(DECIMAL_DIGITS)),
      z.transform((value: string) => Number(value)),
    ),
    z.number().check(z.int(), z.minimum(min), z.maximum(max)),
  );

const int = (fallback: number, min: number, max: number) =>
  z._default(wholeNumber(min, max), fallback);

const text = (min: number, max?: number) =>
  z.string().check(z.minLength(min), ...(max === undefined ? [] : [z.maxLength(max)]));

/**
 * GB (with Guernsey, Jersey and the Isle of Man, which share its +44 numbers), IE, the EU/EEA
 * countries and US (ISO 3166-1 alpha-2).
 */
export const DEFAULT_SMS_COUNTRIES =
  'AT,BE,BG,HR,CY,CZ,DK,EE,FI,FR,DE,GR,HU,IE,IT,LV,LT,LU,MT,NL,PL,PT,RO,SK,SI,ES,SE,IS,LI,NO,GB,GG,JE,IM,US';

const countryList = z.pipe(
  z.pipe(
    z._default(z.string(), DEFAULT_SMS_COUNTRIES),
    z.transform((value: string) =>
      value
        .split(',')
        .map((code) => code.trim().toUpperCase())
        .filter(Boolean),
    ),
  ),
  z.array(z.string().check(z.regex(/^[A-Z]{2}$/))).check(z.minLength(1)),
);

/** A WebAuthn RP id: a lower-case DNS name (`localhost`, `example.com`), no port or scheme. */
const RP_ID =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Web origins, comma-separated: scheme, host and optional port only (as browsers send them). */
const originList = (fallback: string) =>
  z.pipe(
    z.pipe(
      z._default(z.string(), fallback),
      z.transform((value: string) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      ),
    ),
    z
      .array(z.string().check(z.regex(/^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/)))
      .check(z.minLength(1)),
  );

export const serviceConfigSchema = z.object({
  TABLE_NAME: described(text(1), 'DynamoDB table holding all service state (set by the stack)'),
  STATE_MACHINE_ARN: described(
    z.optional(text(1)),
    'ARN of the `MfaFlow` Express state machine (set by the stack; unused locally)',
  ),
  LOG_LEVEL: described(z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'), 'Log level'),
  MFA_ISSUER: described(
    z.optional(z.url({ protocol: /^https?$/ })),
    '`iss` of MFA tokens (set by the stack; locally the runtime URL)',
  ),
  MFA_ISSUER_NAME: described(
    z._default(displayText(64), 'MFA Service'),
    'Issuer shown in authenticator apps (display text: no control or invisible characters; NFC)',
  ),
  STATE_TOKEN_TTL_SECONDS: described(int(300, 30, 3600), 'Life of a state token (transaction)'),
  TOKEN_TTL_SECONDS: described(int(900, 60, 3600), 'Life of an MFA token'),
  OTP_TTL_SECONDS: described(int(300, 30, 900), 'Life of a one-time code'),
  TOTP_ACTIVATION_SECONDS: described(
    int(900, 60, 3600),
    'Time to scan a TOTP QR code and type a first code',
  ),
  TRANSACTION_RETENTION_SECONDS: described(
    int(300, 0, 86400),
    'How long an open transaction stays in its user item past its expiry (status answers EXPIRED meanwhile)',
  ),
  OTP_DIGITS: described(int(6, 6, 8), 'Digits of SMS/email one-time codes'),
  RESEND_COOLDOWN_SECONDS: described(int(30, 0, 600), 'Wait between two sends of a code'),
  MAX_SENDS_PER_TRANSACTION: described(int(3, 1, 10), 'Codes sent in one transaction at most'),
  MAX_ATTEMPTS: described(int(5, 1, 10), 'Wrong codes that end a transaction or an activation'),
  FACTOR_LOCK_THRESHOLD: described(int(10, 2, 100), 'Consecutive wrong codes that lock a factor'),
  PIN_LOCK_THRESHOLD: described(int(5, 2, 100), 'Consecutive wrong PINs that lock a PIN factor'),
  FACTOR_LOCK_SECONDS: described(int(900, 60, 86400), 'How long a locked factor stays locked'),
  MAX_FACTORS_PER_USER: described(int(10, 1, 50), 'Factors one user may have'),
  FACTOR_CHANGE_MAX_AGE_SECONDS: described(
    int(0, 0, 3600),
    'Above 0: changing the factors (enroll, activate, resend, delete) of a user who has an active one needs their MFA token (header `X-MFA-Token`) from at most this many seconds ago; 0: not required',
  ),
  MAX_TRANSACTIONS_PER_USER: described(
    int(20, 1, 100),
    'Open transactions one user may hold (until 300 s past their expiry)',
  ),
  SENDS_PER_DESTINATION_PER_HOUR: described(
    int(10, 1, 1000),
    'Codes sent to one phone/email per clock hour',
  ),
  SENDS_PER_USER_PER_HOUR: described(
    int(20, 1, 1000),
    'Enrollment codes sent for one user per clock hour',
  ),
  SMS_PER_APP_PER_HOUR: described(
    int(1000, 0, 1_000_000),
    'SMS (challenges and activation codes) one app may send per clock hour; over it, 429 `rate_limited` and nothing is sent; 0: no limit',
  ),
  SMS_ALLOWED_COUNTRIES: described(countryList, 'Comma-separated ISO country codes SMS may go to'),
  EMAIL_SENDER: described(
    z._default(z.email(), 'no-reply@mfa.example.com'),
    'SES sender identity for email codes',
  ),
  SMS_SENDER_ID: described(
    z.optional(z.string().check(z.regex(/^[A-Za-z0-9]{1,11}$/))),
    'Alphanumeric SMS sender id, where the destination country supports it',
  ),
  CLIENT_CACHE_SECONDS: described(
    int(60, 0, 3600),
    'How long a warm function trusts a looked-up app client record',
  ),
  DEFAULT_POLICY: described(
    z.optional(
      // parsePolicy (the policy schema) names the path of the first problem; the outer pipe
      // only gives the result its type, so the message reads "DEFAULT_POLICY is invalid (…)".
      z.pipe(
        z.pipe(
          z.string(),
          z.transform((value: string, context) => {
            try {
              return parsePolicy(value);
            } catch (error) {
              context.issues.push({ code: 'custom', message: (error as Error).message, input: '' });
              return z.NEVER;
            }
          }),
        ),
        z.custom<Policy>(),
      ),
    ),
    'JSON policy document of the apps that have none of their own (CDK prop `defaultPolicy`); unset: `require: "mfa"`',
  ),
  EVENT_BUS_NAME: described(
    z.optional(text(1)),
    'EventBridge bus the audit events go to (set by the stack)',
  ),
  OTP_KEY_SECRET_ARN: described(
    z.optional(text(1)),
    'Secrets Manager secret holding the OTP HMAC key (set by the stack)',
  ),
  SECRET_BOX_KEY_ID: described(
    z.optional(text(1)),
    'KMS key encrypting TOTP secrets (set by the stack)',
  ),
  SIGNING_MODE: described(
    z._default(z.enum(['kms', 'envelope']), 'kms'),
    'How MFA tokens are signed: `kms` (KMS Sign, the private key never leaves KMS) or `envelope` (a key sealed under SECRET_BOX_KEY_ID, opened once per cold start)',
  ),
  SIGNING_KEY_IDS: described(
    z.optional(z.string()),
    'Comma-separated KMS signing key ids (`kms` mode): the first signs, the rest stay in the JWKS (set by the stack)',
  ),
  WEBAUTHN_RP_ID: described(
    z._default(z.string().check(z.regex(RP_ID)), 'localhost'),
    "Passkeys: the relying party id, the domain (or a parent of it) the app's pages are served from; a passkey works only there",
  ),
  WEBAUTHN_RP_NAME: described(
    z._default(displayText(64), 'MFA Service'),
    'Passkeys: the name the browser shows when a passkey is made (display text)',
  ),
  WEBAUTHN_ORIGINS: described(
    originList('http://localhost:3000'),
    "Passkeys: comma-separated origins (`https://app.example.com`) whose pages may register and use passkeys; locally the runtime's `http://localhost:PORT`",
  ),
  WEBAUTHN_USER_VERIFICATION: described(
    z._default(z.enum(['required', 'preferred']), 'required'),
    'Passkeys: `required` (a passkey proves possession and inherence or knowledge: one gesture meets `sca`) or `preferred` (a passkey without user verification counts as possession only)',
  ),
  WEBAUTHN_TIMEOUT_SECONDS: described(
    int(300, 30, 900),
    'Passkeys: time to answer a registration or an approval prompt',
  ),
  LOCAL_KEY_DIR: described(
    z.optional(text(1)),
    'Local runtime only: folder of the token signing key file, used instead of KMS signing (secrets and the OTP key go to the local KMS and Secrets Manager endpoints)',
  ),
});

export const localConfigSchema = z.object({
  PORT: described(z._default(wholeNumber(0, 65535), 3000), 'Local runtime port'),
  HOST: described(z._default(text(1), '127.0.0.1'), 'Local runtime bind address'),
  MFA_DATA_DIR: described(
    z.optional(text(1)),
    'Folder where local state persists; unset: in memory and a temp dir, gone on stop',
  ),
  MFA_LOCAL_CLIENT_ID: described(z._default(text(1), 'demo'), 'Seeded local client id'),
  DEMO_CATS_MAX_AGE_SECONDS: described(
    z.optional(wholeNumber(0, 86400)),
    'maxAge of `GET /demo/cats` locally, instead of the stack’s 60 s',
  ),
  MFA_LOCAL_CLIENT_SECRET: described(
    z._default(text(8), 'demo-secret'),
    'Seeded local client secret',
  ),
});

export type ServiceConfig = Readonly<z.infer<typeof serviceConfigSchema>>;
export type LocalConfig = Readonly<z.infer<typeof localConfigSchema>>;

export { ConfigError, parseConfig } from './config-parse.js';
