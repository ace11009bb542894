import { z } from 'zod';

/**
 * The one configuration schema. Lambda functions read the `service` part from their
 * environment at cold start; the local runtime reads both parts. Each entry's description
 * is the README's configuration table (a test keeps them in step).
 */
const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

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
  STATE_TOKEN_TTL_SECONDS: seconds(300, 30, 3600).describe('Life of a state token (transaction)'),
  CLIENT_CACHE_SECONDS: seconds(60, 0, 3600).describe(
    'How long a warm function trusts a looked-up app client record',
  ),
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
