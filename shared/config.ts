import { toDisplayText } from './domain/display-text.js';
import { MAX_TOKEN_TTL_SECONDS } from './domain/mfa-token.js';
import { type Policy, parsePolicy } from './domain/policy/index.js';
import {
  type ConfigOf,
  custom,
  email,
  httpUrl,
  int,
  list,
  matching,
  oneOf,
  optional,
  type Reading,
  required,
  type Settings,
  text,
  withDefault,
} from './settings.js';

/**
 * The one configuration: a table of settings (`settings.ts`, no schema library: this module
 * is in every function, and reads the whole environment at each cold start). Lambda functions
 * read the `service` part from their environment; the local runtime reads both parts. Each
 * entry's description is the README's configuration table (a test keeps them in step).
 */

/**
 * GB (with Guernsey, Jersey and the Isle of Man, which share its +44 numbers), IE, the EU/EEA
 * countries and US (ISO 3166-1 alpha-2).
 */
export const DEFAULT_SMS_COUNTRIES =
  'AT,BE,BG,HR,CY,CZ,DK,EE,FI,FR,DE,GR,HU,IE,IT,LV,LT,LU,MT,NL,PL,PT,RO,SK,SI,ES,SE,IS,LI,NO,GB,GG,JE,IM,US';

/** A WebAuthn RP id: a lower-case DNS name (`localhost`, `example.com`), no port or scheme. */
const RP_ID =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Web origins: scheme, host and optional port only (as browsers send them). */
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/;

/** Text a person reads (`domain/display-text.ts`), in its NFC form. */
const displayText = (maxCodePoints: number) =>
  custom((raw): Reading<string> => {
    const result = toDisplayText(raw, maxCodePoints);
    return result.ok ? { ok: true, value: result.value } : { problem: result.message };
  }, 'text');

/** A policy document (`parsePolicy` names the path of its first problem). */
const policyDocument = custom((raw): Reading<Policy> => {
  try {
    return { ok: true, value: parsePolicy(raw) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
});

/** Seconds, minutes, counts: a whole number in a range, with its default. */
const count = (fallback: number, min: number, max: number, description: string) =>
  withDefault(int(min, max), fallback, description);

export const serviceConfigSchema = {
  TABLE_NAME: required(text(1), 'DynamoDB table holding all service state (set by the stack)'),
  STATE_MACHINE_ARN: optional(
    text(1),
    'ARN of the `MfaFlow` Express state machine (set by the stack; unused locally)',
  ),
  LOG_LEVEL: withDefault(oneOf(['debug', 'info', 'warn', 'error']), 'info', 'Log level'),
  MFA_ISSUER: optional(
    httpUrl(),
    '`iss` of MFA tokens (set by the stack; locally the runtime URL)',
  ),
  MFA_ISSUER_NAME: withDefault(
    displayText(64),
    'MFA Service',
    'Issuer shown in authenticator apps (display text: no control or invisible characters; NFC)',
  ),
  STATE_TOKEN_TTL_SECONDS: count(300, 30, 3600, 'Life of a state token (transaction)'),
  TOKEN_TTL_SECONDS: count(900, 60, MAX_TOKEN_TTL_SECONDS, 'Life of an MFA token'),
  OTP_TTL_SECONDS: count(300, 30, 900, 'Life of a one-time code'),
  TOTP_ACTIVATION_SECONDS: count(
    900,
    60,
    3600,
    'Time to scan a TOTP QR code and type a first code',
  ),
  TRANSACTION_RETENTION_SECONDS: count(
    300,
    0,
    86400,
    'How long an open transaction stays in its user item past its expiry (status answers EXPIRED meanwhile)',
  ),
  OTP_DIGITS: count(6, 6, 8, 'Digits of SMS/email one-time codes'),
  RESEND_COOLDOWN_SECONDS: count(30, 0, 600, 'Wait between two sends of a code'),
  MAX_SENDS_PER_TRANSACTION: count(3, 1, 10, 'Codes sent in one transaction at most'),
  MAX_ATTEMPTS: count(5, 1, 10, 'Wrong codes that end a transaction or an activation'),
  FACTOR_LOCK_THRESHOLD: count(10, 2, 100, 'Consecutive wrong codes that lock a factor'),
  PIN_LOCK_THRESHOLD: count(5, 2, 100, 'Consecutive wrong PINs that lock a PIN factor'),
  FACTOR_LOCK_SECONDS: count(900, 60, 86400, 'How long a locked factor stays locked'),
  MAX_FACTORS_PER_USER: count(10, 1, 50, 'Factors one user may have'),
  FACTOR_CHANGE_MAX_AGE_SECONDS: count(
    0,
    0,
    3600,
    'Above 0: changing the factors (enroll, activate, resend, delete) of a user who has an active one needs their MFA token (header `X-MFA-Token`) from at most this many seconds ago; 0: not required',
  ),
  MAX_TRANSACTIONS_PER_USER: count(
    20,
    1,
    100,
    'Open transactions one user may hold (until 300 s past their expiry)',
  ),
  SENDS_PER_DESTINATION_PER_HOUR: count(
    10,
    1,
    1000,
    'Codes sent to one phone/email per clock hour, activation codes and challenges each',
  ),
  SENDS_PER_USER_PER_HOUR: count(20, 1, 1000, 'Enrollment codes sent for one user per clock hour'),
  SMS_PER_APP_PER_HOUR: count(
    1000,
    0,
    1_000_000,
    'SMS (challenges and activation codes, the latter at most half of it) one app may send per clock hour; over it, 429 `rate_limited` and nothing is sent; 0: no limit',
  ),
  EMAIL_ACTIVATIONS_PER_APP_PER_HOUR: count(
    1000,
    0,
    1_000_000,
    'Activation emails (to addresses nobody has proven yet) one app may send per clock hour, whatever the addresses: bounces from addresses an attacker enrolls could get the SES account paused; over it, 429 `rate_limited` and nothing is sent; 0: no limit',
  ),
  SMS_ALLOWED_COUNTRIES: withDefault(
    list(/^[A-Z]{2}$/, (code) => code.toUpperCase()),
    DEFAULT_SMS_COUNTRIES.split(','),
    'Comma-separated ISO country codes SMS may go to',
    DEFAULT_SMS_COUNTRIES,
  ),
  EMAIL_SENDER: withDefault(
    email(),
    'no-reply@mfa.example.com',
    'SES sender identity for email codes',
  ),
  SMS_SENDER_ID: optional(
    matching(/^[A-Za-z0-9]{1,11}$/),
    'Alphanumeric SMS sender id, where the destination country supports it',
  ),
  CLIENT_CACHE_SECONDS: count(
    60,
    0,
    3600,
    'How long a warm function trusts a looked-up app client record',
  ),
  DEFAULT_POLICY: optional(
    policyDocument,
    'JSON policy document of the apps that have none of their own (CDK prop `defaultPolicy`); unset: `require: "mfa"`',
  ),
  EVENT_BUS_NAME: optional(text(1), 'EventBridge bus the audit events go to (set by the stack)'),
  OTP_KEY_SECRET_ARN: optional(
    text(1),
    'Secrets Manager secret holding the OTP HMAC key (set by the stack)',
  ),
  SECRET_BOX_KEY_ID: optional(text(1), 'KMS key encrypting TOTP secrets (set by the stack)'),
  SIGNING_MODE: withDefault(
    oneOf(['kms', 'envelope']),
    'kms',
    'How MFA tokens are signed: `kms` (KMS Sign, the private key never leaves KMS) or `envelope` (a key sealed under SECRET_BOX_KEY_ID, opened once per cold start)',
  ),
  SIGNING_KEY_IDS: optional(
    text(0),
    'Comma-separated KMS signing key ids (`kms` mode): the first signs, the rest stay in the JWKS (set by the stack)',
  ),
  WEBAUTHN_RP_ID: withDefault(
    matching(RP_ID),
    'localhost',
    "Passkeys: the relying party id, the domain (or a parent of it) the app's pages are served from; a passkey works only there",
  ),
  WEBAUTHN_RP_NAME: withDefault(
    displayText(64),
    'MFA Service',
    'Passkeys: the name the browser shows when a passkey is made (display text)',
  ),
  WEBAUTHN_ORIGINS: withDefault(
    list(ORIGIN),
    ['http://localhost:3000'],
    "Passkeys: comma-separated origins (`https://app.example.com`) whose pages may register and use passkeys; locally the runtime's `http://localhost:PORT`",
    'http://localhost:3000',
  ),
  WEBAUTHN_USER_VERIFICATION: withDefault(
    oneOf(['required', 'preferred']),
    'required',
    'Passkeys: `required` (a passkey proves possession and inherence or knowledge: one gesture meets `sca`) or `preferred` (a passkey without user verification counts as possession only)',
  ),
  WEBAUTHN_TIMEOUT_SECONDS: count(
    300,
    30,
    900,
    'Passkeys: time to answer a registration or an approval prompt',
  ),
  LOCAL_KEY_DIR: optional(
    text(1),
    'Local runtime only: folder of the token signing key file, used instead of KMS signing (secrets and the OTP key go to the local KMS and Secrets Manager endpoints)',
  ),
} satisfies Settings;

export const localConfigSchema = {
  PORT: count(3000, 0, 65535, 'Local runtime port'),
  HOST: withDefault(text(1), '127.0.0.1', 'Local runtime bind address'),
  MFA_DATA_DIR: optional(
    text(1),
    'Folder where local state persists; unset: in memory and a temp dir, gone on stop',
  ),
  MFA_LOCAL_CLIENT_ID: withDefault(text(1), 'demo', 'Seeded local client id'),
  DEMO_CATS_MAX_AGE_SECONDS: optional(
    int(0, 86400),
    'maxAge of `GET /demo/cats` locally, instead of the stack’s 60 s',
  ),
  MFA_LOCAL_CLIENT_SECRET: withDefault(text(8), 'demo-secret', 'Seeded local client secret'),
} satisfies Settings;

export type ServiceConfig = ConfigOf<typeof serviceConfigSchema>;
export type LocalConfig = ConfigOf<typeof localConfigSchema>;

export { ConfigError, parseSettings as parseConfig } from './settings.js';
