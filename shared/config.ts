import * as z from 'zod';

/**
 * The one configuration schema. Lambda functions read the `service` part from their
 * environment at cold start; the local runtime reads both parts. Each entry's description
 * is the README's configuration table (a test keeps them in step).
 */
const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * GB (with Guernsey, Jersey and the Isle of Man, which share its +44 numbers), IE, the EU/EEA
 * countries and US (ISO 3166-1 alpha-2).
 */
export const DEFAULT_SMS_COUNTRIES =
  'AT,BE,BG,HR,CY,CZ,DK,EE,FI,FR,DE,GR,HU,IE,IT,LV,LT,LU,MT,NL,PL,PT,RO,SK,SI,ES,SE,IS,LI,NO,GB,GG,JE,IM,US';

const countryList = z
  .string()
  .default(DEFAULT_SMS_COUNTRIES)
  .transform((value) =>
    value
      .split(',')
      .map((code) => code.trim().toUpperCase())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Z]{2}$/)).min(1));

export const serviceConfigSchema = z.object({
  TABLE_NAME: z
    .string()
    .min(1)
    .describe('DynamoDB table holding all service state (set by the stack)'),
  STATE_MACHINE_ARN: z
    .string()
    .min(1)
    .optional()
    .describe('ARN of the `MfaFlow` Express state machine (set by the stack; unused locally)'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Log level'),
  MFA_ISSUER: z
    .string()
    .url()
    .optional()
    .describe('`iss` of MFA tokens (set by the stack; locally the runtime URL)'),
  MFA_ISSUER_NAME: z
    .string()
    .min(1)
    .max(64)
    .default('MFA Service')
    .describe('Issuer shown in authenticator apps'),
  STATE_TOKEN_TTL_SECONDS: int(300, 30, 3600).describe('Life of a state token (transaction)'),
  TOKEN_TTL_SECONDS: int(900, 60, 3600).describe('Life of an MFA token'),
  OTP_TTL_SECONDS: int(300, 30, 900).describe('Life of a one-time code'),
  OTP_DIGITS: int(6, 6, 8).describe('Digits of SMS/email one-time codes'),
  RESEND_COOLDOWN_SECONDS: int(30, 0, 600).describe('Wait between two sends of a code'),
  MAX_SENDS_PER_TRANSACTION: int(3, 1, 10).describe('Codes sent in one transaction at most'),
  MAX_ATTEMPTS: int(5, 1, 10).describe('Wrong codes that end a transaction or an activation'),
  FACTOR_LOCK_THRESHOLD: int(10, 2, 100).describe('Consecutive wrong codes that lock a factor'),
  FACTOR_LOCK_SECONDS: int(900, 60, 86400).describe('How long a locked factor stays locked'),
  MAX_FACTORS_PER_USER: int(10, 1, 50).describe('Factors one user may have'),
  SENDS_PER_DESTINATION_PER_HOUR: int(10, 1, 1000).describe(
    'Codes sent to one phone/email per clock hour',
  ),
  SENDS_PER_USER_PER_HOUR: int(20, 1, 1000).describe(
    'Enrollment codes sent for one user per clock hour',
  ),
  SMS_ALLOWED_COUNTRIES: countryList.describe('Comma-separated ISO country codes SMS may go to'),
  EMAIL_SENDER: z
    .string()
    .email()
    .default('no-reply@mfa.example.com')
    .describe('SES sender identity for email codes'),
  SMS_SENDER_ID: z
    .string()
    .regex(/^[A-Za-z0-9]{1,11}$/)
    .optional()
    .describe('Alphanumeric SMS sender id, where the destination country supports it'),
  CLIENT_CACHE_SECONDS: int(60, 0, 3600).describe(
    'How long a warm function trusts a looked-up app client record',
  ),
  OTP_KEY_SECRET_ARN: z
    .string()
    .min(1)
    .optional()
    .describe('Secrets Manager secret holding the OTP HMAC key (set by the stack)'),
  SECRET_BOX_KEY_ID: z
    .string()
    .min(1)
    .optional()
    .describe('KMS key encrypting TOTP secrets (set by the stack)'),
  SIGNING_MODE: z
    .enum(['kms', 'envelope'])
    .default('kms')
    .describe(
      'How MFA tokens are signed: `kms` (KMS Sign, the private key never leaves KMS) or `envelope` (a key sealed under SECRET_BOX_KEY_ID, opened once per cold start)',
    ),
  SIGNING_KEY_IDS: z
    .string()
    .optional()
    .describe(
      'Comma-separated KMS signing key ids (`kms` mode): the first signs, the rest stay in the JWKS (set by the stack)',
    ),
  LOCAL_KEY_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('Local runtime only: folder of key files used instead of KMS and Secrets Manager'),
});

export const localConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('Local runtime port'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Local runtime bind address'),
  MFA_DATA_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('Folder where local state persists; unset: in memory and a temp dir, gone on stop'),
  MFA_LOCAL_CLIENT_ID: z.string().min(1).default('demo').describe('Seeded local client id'),
  DEMO_CATS_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86400)
    .optional()
    .describe('maxAge of `GET /demo/cats` locally, instead of the stack’s 60 s'),
  MFA_LOCAL_CLIENT_SECRET: z
    .string()
    .min(8)
    .default('demo-secret')
    .describe('Seeded local client secret'),
});

export type ServiceConfig = Readonly<z.infer<typeof serviceConfigSchema>>;
export type LocalConfig = Readonly<z.infer<typeof localConfigSchema>>;

/** Validates and freezes a config; fails with the names of the bad variables. */
export const parseConfig = <S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.infer<S>> => {
  const result = schema.safeParse(env);
  if (!result.success) {
    const names = result.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`Invalid configuration: ${names}`);
  }
  return Object.freeze(result.data);
};
