import type { FactorType, StoredFactor } from '../domain/entities.js';
import type { FactorKind } from './kind.js';
import { emailKind, smsKind } from './out-of-band/kind.js';
import { pinKind } from './pin/kind.js';
import { totpKind } from './totp/kind.js';

/** Every factor kind, by type. Adding a kind: README "Adding a factor kind". */
export const FACTOR_KINDS: Readonly<Record<FactorType, FactorKind>> = {
  sms: smsKind,
  email: emailKind,
  totp: totpKind,
  pin: pinKind,
};

export const kindOf = (type: FactorType): FactorKind => FACTOR_KINDS[type];

/** A factor as the API shows it: its profile always masked by its kind. */
export interface FactorView {
  readonly id: string;
  readonly type: FactorType;
  readonly status: StoredFactor['status'];
  readonly profile: Record<string, string>;
  readonly createdAt: string;
}

export const factorView = (factor: StoredFactor): FactorView => ({
  id: factor.factorId,
  type: factor.type,
  status: factor.status,
  profile: kindOf(factor.type).profile(factor),
  createdAt: factor.createdAt,
});
