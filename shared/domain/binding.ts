import { jcs, sha256 } from './canonical.js';

/** What a transaction is about: its id and the payment or consent it approves. */
export interface BindingSubject {
  readonly transactionId: string;
  readonly transaction?: {
    readonly amount: string;
    readonly currency: string;
    readonly payee: string;
    readonly payeeAccount?: string;
  };
  readonly consentId?: string;
}

/**
 * `binding` = b64u(SHA-256(JCS({ txn, amount, currency, payee, payeeAccount, consentId }))),
 * members the transaction lacks left out.
 */
export const transactionBinding = (subject: BindingSubject): string => {
  const { transaction: t, consentId } = subject;
  return sha256(
    jcs({
      txn: subject.transactionId,
      ...(t ? { amount: t.amount, currency: t.currency, payee: t.payee } : {}),
      ...(t?.payeeAccount ? { payeeAccount: t.payeeAccount } : {}),
      ...(consentId ? { consentId } : {}),
    }),
  ).toString('base64url');
};

/** Passkey challenge bytes = SHA-256(JCS({ binding, nonce })), `nonce` ≥ 16 random bytes (b64u). */
export const passkeyChallenge = (binding: string, nonce: string): Buffer =>
  sha256(jcs({ binding, nonce }));
