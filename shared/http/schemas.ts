// zod/mini: the same validators as the chained `zod` API, for a fraction of each bundle.
import * as z from 'zod/mini';
import { MfaError } from '../errors.js';

const pattern = (regex: RegExp) => z.string().check(z.regex(regex));

/** Request bodies and path parameters of the HTTP contract (API.md). Unknown fields are dropped. */
export const userIdSchema = pattern(/^[A-Za-z0-9._@:-]{1,128}$/);

const text = (max: number) =>
  z
    .string()
    .check(z.minLength(1), z.maxLength(max), z.regex(/^[^\p{Cc}]*$/u, 'no control characters'));

export const startBody = z.object({
  userId: userIdSchema,
  context: z.optional(
    z.object({
      ip: z.optional(text(64)),
      userAgent: z.optional(text(512)),
      deviceId: z.optional(text(128)),
      country: z.optional(pattern(/^[A-Z]{2}$/)),
    }),
  ),
  transaction: z.optional(
    z.object({
      amount: pattern(/^(0|[1-9]\d{0,11})(\.\d{1,4})?$/),
      currency: pattern(/^[A-Z]{3}$/),
      payee: text(140),
    }),
  ),
  consentId: z.optional(pattern(/^[A-Za-z0-9._:-]{1,128}$/)),
});

const stateToken = pattern(/^[A-Za-z0-9_.-]{16,128}$/);
const passCode = pattern(/^\d{6,8}$/);

export const stateTokenBody = z.object({ stateToken });
export const verifyBody = z.object({ stateToken, passCode });
export const activateBody = z.object({ passCode });

const bounded = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

export const enrollBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sms'), phoneNumber: bounded(32) }),
  z.object({ type: z.literal('email'), email: bounded(320) }),
  z.object({ type: z.literal('totp') }),
]);

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

export const factorIdSchema = pattern(/^(sms|email|totp)_[A-Za-z0-9_-]{20}$/);
