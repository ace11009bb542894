import { z } from 'zod';

/** Request bodies of the HTTP contract (API.md). Unknown fields are dropped. */
export const userIdSchema = z.string().regex(/^[A-Za-z0-9._@:-]{1,128}$/);

const text = (max: number) => z.string().min(1).max(max);

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
