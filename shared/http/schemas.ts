import * as z from 'zod';
import { MfaError } from '../errors.js';

/** Request bodies and path parameters of the HTTP contract (API.md). Unknown fields are dropped. */
export const userIdSchema = z.string().regex(/^[A-Za-z0-9._@:-]{1,128}$/);

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters');

export const startBody = z.object({
  userId: userIdSchema,
  context: z
    .object({
      ip: text(64).optional(),
      userAgent: text(512).optional(),
      deviceId: text(128).optional(),
      country: z
        .string()
        .regex(/^[A-Z]{2}$/)
        .optional(),
    })
    .optional(),
  transaction: z
    .object({
      amount: z.string().regex(/^(0|[1-9]\d{0,11})(\.\d{1,4})?$/),
      currency: z.string().regex(/^[A-Z]{3}$/),
      payee: text(140),
    })
    .optional(),
  consentId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/)
    .optional(),
});

const stateToken = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/);
const passCode = z.string().regex(/^\d{6,8}$/);

export const stateTokenBody = z.object({ stateToken });
export const verifyBody = z.object({ stateToken, passCode });
export const activateBody = z.object({ passCode });

export const enrollBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sms'), phoneNumber: z.string().min(1).max(32) }),
  z.object({ type: z.literal('email'), email: z.string().min(1).max(320) }),
  z.object({ type: z.literal('totp') }),
]);

/** A path parameter that must match its schema: 400 for userId, 404 for ids of things. */
export const pathParam = (
  parameters: Readonly<Record<string, string>>,
  name: string,
  schema: z.ZodType<string>,
  onMismatch: 'invalid_request' | 'not_found',
): string => {
  const parsed = schema.safeParse(parameters[name]);
  if (parsed.success) return parsed.data;
  throw new MfaError(
    onMismatch,
    onMismatch === 'not_found' ? 'No such resource' : `Invalid ${name}`,
  );
};

export const factorIdSchema = z.string().regex(/^(sms|email|totp)_[A-Za-z0-9_-]{20}$/);
