import type { FactorType, StoredFactor } from '../domain/entities.js';
import type { ScaCategory } from '../domain/mfa-token.js';
import type { FactorKind } from './kind.js';
import { emailKind, smsKind } from './out-of-band/kind.js';
import { pinKind } from './pin/kind.js';
import { recoveryCodeKind } from './recovery-code/kind.js';
import { totpKind } from './totp/kind.js';
import { webauthnKind } from './webauthn/kind.js';

/** Every factor kind, by type. Adding a kind: README "Adding a factor kind". */
export const FACTOR_KINDS: Readonly<Record<FactorType, FactorKind>> = {
  sms: smsKind,
  email: emailKind,
  totp: totpKind,
  pin: pinKind,
  recovery_code: recoveryCodeKind,
  webauthn: webauthnKind,
};

export const kindOf = (type: FactorType): FactorKind => FACTOR_KINDS[type];

/**
 * The SCA categories a verified factor proves under the app's policy: email proves none
 * unless the policy says `emailIsPossession` (API.md "Factor categories"). Given a stored
 * factor, its kind may narrow them (a passkey without user verification); given only a
 * type (a transaction's factor list), they are its kind's.
 */
export const categoriesOf = (
  factor: FactorType | StoredFactor,
  policy: { readonly emailIsPossession?: boolean } = {},
): readonly ScaCategory[] => {
  const type = typeof factor === 'string' ? factor : factor.type;
  if (type === 'email' && policy.emailIsPossession) return ['possession'];
  const kind = kindOf(type);
  return (
    (typeof factor === 'string' ? undefined : kind.factorCategories?.(factor)) ?? kind.categories
  );
};

/** A factor as the API shows it: its profile always masked by its kind. */
export interface FactorView {
  readonly id: string;
  readonly type: FactorType;
  readonly status: StoredFactor['status'];
  readonly profile: Record<string, string | number>;
  readonly createdAt: string;
}

export const factorView = (factor: StoredFactor): FactorView => ({
  id: factor.factorId,
  type: factor.type,
  status: factor.status,
  profile: kindOf(factor.type).profile(factor),
  createdAt: factor.createdAt,
});
