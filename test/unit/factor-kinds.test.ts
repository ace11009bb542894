import { describe, expect, it } from 'vitest';
import { simpleWebAuthnRegistrar } from '../../shared/adapters/simplewebauthn-registrar.js';
import { parseConfig, serviceConfigSchema } from '../../shared/config.js';
import {
  FACTOR_TYPES,
  type StoredFactor,
  type TransactionRecord,
} from '../../shared/domain/entities.js';
import { otpMac } from '../../shared/domain/otp.js';
import { totpCode } from '../../shared/domain/totp.js';
import type { ProofDeps } from '../../shared/factors/kind.js';
import { categoriesOf, FACTOR_KINDS, factorView, kindOf } from '../../shared/factors/registry.js';
import { createLogger } from '../../shared/log.js';
import type { SecretBox } from '../../shared/ports/secret-box.js';

/** A secret box test adapter: "sealed" is the secret in hex, bound to nothing. */
const plainBox: SecretBox = {
  seal: async (secret) => Buffer.from(secret).toString('hex'),
  open: async (sealed) => Uint8Array.from(Buffer.from(sealed, 'hex')),
};
const deps: ProofDeps = {
  secretBox: plainBox,
  config: parseConfig(serviceConfigSchema, { TABLE_NAME: 't' }),
  passkeys: simpleWebAuthnRegistrar(),
  log: createLogger({ service: 'test', level: 'error', write: () => {} }),
};
const key = new Uint8Array(32).fill(7);
const binding = 'txn:factor';
const now = 1_800_000_000;

const factor = (over: Partial<StoredFactor>): StoredFactor => ({
  factorId: 'f1',
  type: 'sms',
  status: 'ACTIVE',
  createdAt: '2026-01-01T00:00:00.000Z',
  failures: 0,
  ...over,
});
const txn = (codeMac?: string): TransactionRecord => ({
  transactionId: 't1',
  status: 'MFA_CHALLENGE',
  createdAt: '',
  expiresAt: '',
  expiresAtEpoch: now + 300,
  factors: { f1: 'sms' },
  pruneAfter: now + 600,
  ...(codeMac ? { codeMac } : {}),
});
const submitted = (f: StoredFactor, code: string, purpose: 'activation' | 'challenge') => ({
  clientId: 'app',
  userId: 'u1',
  factor: f,
  nowSeconds: now,
  key,
  binding,
  submittedMac: otpMac(key, purpose, binding, code),
});

describe('factor kinds: one registry entry per type', () => {
  it('every factor type has its kind', () => {
    for (const type of FACTOR_TYPES) expect(kindOf(type).type).toBe(type);
    expect(Object.keys(FACTOR_KINDS).sort()).toEqual([...FACTOR_TYPES].sort());
  });

  it.each([
    ['sms', ['sms', 'otp', 'mfa'], ['possession'], 'sms'],
    ['email', ['otp', 'mfa'], [], 'email'],
    ['totp', ['otp', 'mfa'], ['possession'], undefined],
  ] as const)(
    '%s: amr (RFC 8176), SCA categories and delivery',
    (type, amr, categories, delivery) => {
      const kind = kindOf(type);
      expect(kind.amr).toEqual(amr);
      expect(kind.categories).toEqual(categories);
      expect(kind.delivery).toBe(delivery);
    },
  );

  it('a passkey counts inherence only if it verified its user when registered (unknown: it did)', () => {
    const passkey = (over: Partial<StoredFactor>) => factor({ type: 'webauthn', ...over });
    expect(categoriesOf(passkey({ userVerified: false }))).toEqual(['possession']);
    expect(categoriesOf(passkey({ userVerified: true }))).toEqual(['possession', 'inherence']);
    expect(categoriesOf(passkey({}))).toEqual(['possession', 'inherence']);
    expect(categoriesOf('webauthn')).toEqual(['possession', 'inherence']);
    expect(categoriesOf(factor({ type: 'email' }), { emailIsPossession: true })).toEqual([
      'possession',
    ]);
  });

  it('profiles are masked by their kind', () => {
    expect(factorView(factor({ destination: '+447700900123' })).profile).toEqual({
      phoneNumber: '+44*******123',
    });
    expect(factorView(factor({ type: 'email', destination: 'john@example.com' })).profile).toEqual({
      email: 'j***@example.com',
    });
    expect(factorView(factor({ type: 'totp', sealedSecret: 'aa' })).profile).toEqual({});
  });
});

describe('out-of-band codes: right only while the stored MAC is the same', () => {
  it('activation and challenge proofs', async () => {
    const sms = kindOf('sms');
    const stored = otpMac(key, 'activation', binding, '123456');
    const pending = factor({
      status: 'PENDING_ACTIVATION',
      activation: { codeMac: stored, expiresAt: now + 60, attempts: 0 },
    });
    expect(await sms.activationProof(deps, submitted(pending, '123456', 'activation'))).toEqual({
      codeMac: stored,
    });
    expect(
      await sms.activationProof(deps, submitted(pending, '123457', 'activation')),
    ).toBeUndefined();

    const code = otpMac(key, 'challenge', binding, '654321');
    const right = { ...submitted(factor({}), '654321', 'challenge'), txn: txn(code) };
    expect(await sms.challengeProof(deps, right)).toEqual({ codeMac: code });
    expect(await sms.challengeProof(deps, { ...right, txn: txn() })).toBeUndefined();
    // The same code for another purpose (an activation code typed into a challenge) is wrong.
    const crossed = { ...submitted(factor({}), '654321', 'activation'), txn: txn(code) };
    expect(await sms.challengeProof(deps, crossed)).toBeUndefined();
  });
});

describe('totp: ±1 step, above the last used one', () => {
  const secret = new Uint8Array(20).fill(9);
  const totp = factor({ type: 'totp', sealedSecret: Buffer.from(secret).toString('hex') });
  const step = Math.floor(now / 30);

  it('accepts the current and neighbouring steps, and names the step', async () => {
    const kind = kindOf('totp');
    for (const offset of [-1, 0, 1]) {
      const code = totpCode(secret, step + offset);
      expect(await kind.activationProof(deps, submitted(totp, code, 'activation'))).toEqual({
        step: step + offset,
      });
    }
    const far = totpCode(secret, step + 3);
    expect(await kind.activationProof(deps, submitted(totp, far, 'activation'))).toBeUndefined();
  });

  it('refuses a step already used (replay) in a challenge', async () => {
    const kind = kindOf('totp');
    const code = totpCode(secret, step);
    const used = { ...submitted({ ...totp, lastStep: step }, code, 'challenge'), txn: txn() };
    expect(await kind.challengeProof(deps, used)).toBeUndefined();
    const fresh = { ...submitted({ ...totp, lastStep: step - 1 }, code, 'challenge'), txn: txn() };
    expect(await kind.challengeProof(deps, fresh)).toEqual({ step });
  });
});
