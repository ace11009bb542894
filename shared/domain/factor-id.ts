import type { Random } from '../ports/random.js';
import { FACTOR_TYPES, type FactorType } from './entities.js';

/**
 * Factor ids carry their type (`sms_…`, `email_…`, `totp_…`), so a challenge or verify knows
 * what it deals with before any read. The type is never trusted alone: every write checks
 * the factor against the stored transaction.
 */
export const FACTOR_ID = new RegExp(`^(${FACTOR_TYPES.join('|')})_[A-Za-z0-9_-]{20}$`);

export const newFactorId = (type: FactorType, random: Random): string =>
  `${type}_${random.bytes(15).toString('base64url')}`;

export const factorTypeOf = (factorId: string): FactorType | undefined =>
  FACTOR_ID.exec(factorId)?.[1] as FactorType | undefined;
