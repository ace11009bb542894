import type { StoredFactor } from '../domain/entities.js';
import { maskEmail, maskPhone } from './destination.js';

/** A factor as the API shows it: the profile is always masked. */
export interface FactorView {
  readonly id: string;
  readonly type: StoredFactor['type'];
  readonly status: StoredFactor['status'];
  readonly profile: Record<string, string>;
  readonly createdAt: string;
}

export const factorView = (factor: StoredFactor): FactorView => ({
  id: factor.factorId,
  type: factor.type,
  status: factor.status,
  profile:
    factor.type === 'sms' && factor.destination
      ? { phoneNumber: maskPhone(factor.destination) }
      : factor.type === 'email' && factor.destination
        ? { email: maskEmail(factor.destination) }
        : {},
  createdAt: factor.createdAt,
});

/** RFC 8176 `amr` values for a verified factor (the app's own sign-in is the other factor). */
export const amrFor = (type: StoredFactor['type']): string[] =>
  type === 'sms' ? ['sms', 'otp', 'mfa'] : ['otp', 'mfa'];

export const isLocked = (factor: { lockedUntil?: number }, nowSeconds: number): boolean =>
  factor.lockedUntil !== undefined && factor.lockedUntil > nowSeconds;
