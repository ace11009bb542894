import { passkeyChallenge, transactionBinding } from '../../domain/binding.js';
import type { TransactionRecord } from '../../domain/entities.js';
import type { ScaCategory } from '../../domain/mfa-token.js';
import type { FactorKind, SignedProof } from '../kind.js';
import { type AssertionJson, checkAssertion, type ShownPayment } from './assertion.js';
import { openCredential, sealCredential } from './credential.js';

/** A small card icon for Secure Payment Confirmation's instrument (a data URL: no fetch). */
const SPC_ICON =
  'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAzMiAyMCI+PHJlY3Qgd2lkdGg9IjMyIiBoZWlnaHQ9IjIwIiByeD0iMyIgZmlsbD0iIzI1NjNlYiIvPjwvc3ZnPg==';

/** The passkey challenge of a transaction's nonce, as the device signs it (base64url). */
const challengeOf = (txn: TransactionRecord, nonce: string) =>
  passkeyChallenge(transactionBinding(txn), nonce).toString('base64url');

/**
 * What the browser showed in a Secure Payment Confirmation dialog is this transaction's
 * amount, currency and payee, exactly: the signature covers what the user saw.
 */
const shownIsTransaction = (shown: ShownPayment | undefined, txn: TransactionRecord) => {
  const t = txn.transaction;
  return (
    t !== undefined &&
    shown?.total?.currency === t.currency &&
    shown.total.value === t.amount &&
    shown.payeeName === t.payee
  );
};

/**
 * Passkeys (WebAuthn): a key pair made on the user's device (or synced by their platform),
 * the private key never leaving it. A challenge stores a fresh nonce; the device signs
 * SHA-256(JCS({binding, nonce})), `binding` hashing the transaction id, amount, currency,
 * payee, payee account and consent (API.md "Receipts"), so the signature itself approves this
 * payment. With user verification it proves possession and inherence (or knowledge: the
 * device's PIN), which meets `sca` in one gesture; without, possession only. `amr`: `hwk`
 * for a device-bound key, `swk` for a synced (backup-eligible) one, `user`, and `mfa` with
 * user verification (RFC 8176).
 */
export const webauthnKind: FactorKind = {
  type: 'webauthn',
  categories: ['possession', 'inherence'],
  // A key that has not verified its user, at registration or in an approval since
  // (`WEBAUTHN_USER_VERIFICATION` `preferred`), is counted as what it was relied on for:
  // possession.
  factorCategories: (factor) =>
    factor.userVerified === false ? ['possession'] : ['possession', 'inherence'],
  amr: ['hwk', 'user', 'mfa'],
  provenBy: 'credential',
  profile: (factor): Record<string, string> =>
    factor.displayName ? { displayName: factor.displayName } : {},
  activationProof: async (deps, { clientId, userId, factor, credential }) => {
    const challenge = factor.activation?.codeMac;
    if (!challenge || credential === undefined) return undefined;
    const { config } = deps;
    const registered = await deps.passkeys.verifyRegistration(credential, {
      challenge,
      rpId: config.WEBAUTHN_RP_ID,
      origins: config.WEBAUTHN_ORIGINS,
      userVerificationRequired: config.WEBAUTHN_USER_VERIFICATION === 'required',
    });
    if (!registered) return undefined;
    const sealedSecret = await sealCredential(
      deps.secretBox,
      { clientId, userId, factorId: factor.factorId },
      registered.credential,
    );
    return {
      codeMac: challenge,
      registered: {
        sealedSecret,
        signCount: registered.counter,
        backupState: registered.backupState,
        userVerified: registered.userVerified,
      },
    };
  },
  challengeProof: async (deps, { clientId, userId, factor, txn, credential }) => {
    const nonce = txn.codeMac;
    if (!nonce || credential === undefined || txn.challengeFactorId !== factor.factorId) {
      return undefined;
    }
    const stored = await openCredential(deps.secretBox, { clientId, userId, factor });
    if (!stored) return undefined;
    const { config } = deps;
    const check = checkAssertion(credential as AssertionJson, {
      credential: stored,
      storedCounter: factor.signCount ?? 0,
      challenge: challengeOf(txn, nonce),
      rpId: config.WEBAUTHN_RP_ID,
      origins: config.WEBAUTHN_ORIGINS,
      userVerificationRequired: config.WEBAUTHN_USER_VERIFICATION === 'required',
    });
    const refused = !check.ok
      ? check.reason
      : check.type === 'payment.get' && !shownIsTransaction(check.payment, txn)
        ? 'shownPayment'
        : undefined;
    if (refused || !check.ok) {
      // Which check failed, never the material: a counter that went back is the sign of a
      // cloned authenticator (WebAuthn §6.1.1).
      const level = refused === 'counter' ? 'warn' : 'info';
      deps.log[level]('passkey assertion refused', { reason: refused, factorId: factor.factorId });
      return undefined;
    }
    const categories: ScaCategory[] = check.userVerified
      ? ['possession', 'inherence']
      : ['possession'];
    const assertion = credential as AssertionJson;
    const signed: SignedProof = {
      evidence: {
        credentialId: stored.id,
        publicKey: { ...stored.jwk },
        authenticatorData: assertion.response.authenticatorData,
        clientDataJSON: assertion.response.clientDataJSON,
        signature: assertion.response.signature,
        nonce,
      },
      nonce,
      signCount: check.counter,
      backupState: check.backupState,
      userVerified: check.userVerified,
      categories,
      amr: [stored.backupEligible ? 'swk' : 'hwk', 'user', ...(check.userVerified ? ['mfa'] : [])],
    };
    return { signed };
  },
  signing: {
    ttlSeconds: (config) => config.WEBAUTHN_TIMEOUT_SECONDS,
    request: async (deps, { clientId, userId, factor, txn, nonce }) => {
      const stored = await openCredential(deps.secretBox, { clientId, userId, factor });
      if (!stored) throw new Error('An active passkey factor without its credential');
      const { config } = deps;
      const binding = transactionBinding(txn);
      const challenge = passkeyChallenge(binding, nonce).toString('base64url');
      const timeout = config.WEBAUTHN_TIMEOUT_SECONDS * 1000;
      const t = txn.transaction;
      return {
        // What the challenge is made of (API.md "Receipts"): anyone can recompute it.
        binding,
        nonce,
        // PublicKeyCredentialRequestOptionsJSON for `PublicKeyCredential.parseRequestOptionsFromJSON`.
        publicKey: {
          challenge,
          rpId: config.WEBAUTHN_RP_ID,
          timeout,
          userVerification: config.WEBAUTHN_USER_VERIFICATION,
          allowCredentials: [
            {
              type: 'public-key',
              id: stored.id,
              ...(stored.transports ? { transports: stored.transports } : {}),
            },
          ],
        },
        // SecurePaymentConfirmationRequest (buffers base64url) and the total to show.
        ...(t
          ? {
              securePaymentConfirmation: {
                rpId: config.WEBAUTHN_RP_ID,
                credentialIds: [stored.id],
                challenge,
                payeeName: t.payee,
                instrument: {
                  displayName: factor.displayName ?? config.WEBAUTHN_RP_NAME,
                  icon: SPC_ICON,
                  iconMustBeShown: false,
                },
                timeout,
                total: { currency: t.currency, value: t.amount },
              },
            }
          : {}),
      };
    },
  },
};
