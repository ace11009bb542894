import { jcs, sha256 } from './canonical.js';
import type { FactorType } from './entities.js';
import type { MfaTokenClaims, ScaCategory } from './mfa-token.js';

/**
 * The SCA receipt (API.md "Receipts"): a record of one authentication operation, signed like
 * tokens (ES256, the same keys) with header `typ: "sca-receipt+jwt"`. It has no `exp`: it is
 * evidence to keep, not a credential to present.
 */
export const RECEIPT_TYPE = 'sca-receipt+jwt';

/** A passkey's own signature, so anyone can re-check it (API.md "Receipts"). */
export interface PasskeyEvidence {
  /** The credential id, base64url. */
  readonly credentialId: string;
  /** The credential's public key (JWK: EC P-256 or RSA). */
  readonly publicKey: Readonly<Record<string, string>>;
  /** base64url, as the authenticator returned them. */
  readonly authenticatorData: string;
  readonly clientDataJSON: string;
  readonly signature: string;
  /** The challenge's nonce: challenge = SHA-256(JCS({ binding, nonce })). */
  readonly nonce: string;
}

/** One verified factor of the operation. */
export type ReceiptFactor = {
  readonly type: FactorType;
  readonly categories: readonly ScaCategory[];
  /** NumericDate (epoch seconds), as `iat`. */
  readonly verifiedAt: number;
} & Partial<PasskeyEvidence>;

/** What the workflow adds to the token's claims to make the receipt. */
export interface ReceiptContent {
  /** b64u(SHA-256(JCS({ txn, amount, currency, payee, payeeAccount, consentId }))). */
  readonly binding: string;
  readonly factors: readonly ReceiptFactor[];
  readonly policy: {
    readonly decision: string;
    readonly rule?: string;
    readonly exemption?: string;
  };
  /** The operation's audit event in the user's chain (`mfa.authn.succeeded`, or an exempt start). */
  readonly audit?: { readonly seq: number; readonly hash: string };
}

export type ReceiptClaims = Pick<
  MfaTokenClaims,
  'iss' | 'sub' | 'aud' | 'iat' | 'txn' | 'consent_id' | 'authorization_details' | 'payee_account'
> &
  ReceiptContent;

type ReceiptToken = Pick<
  MfaTokenClaims,
  'sub' | 'aud' | 'txn' | 'consent_id' | 'authorization_details' | 'payee_account'
>;

/** A receipt's claims but `iss`, `iat` and `audit`: what the operation itself recorded. */
export const receiptBody = (token: ReceiptToken, content: ReceiptContent) => ({
  sub: token.sub,
  aud: token.aud,
  txn: token.txn,
  ...(token.consent_id ? { consent_id: token.consent_id } : {}),
  ...(token.authorization_details ? { authorization_details: token.authorization_details } : {}),
  binding: content.binding,
  // The payee's account id, when the transaction had one: part of the binding but not of
  // `authorization_details`, so a third party can recompute the binding from the receipt.
  ...(token.payee_account ? { payee_account: token.payee_account } : {}),
  factors: content.factors,
  policy: content.policy,
});

/** The receipt of a token's operation: its subject, app and transaction, and the content. */
export const receiptClaims = (
  token: ReceiptToken,
  content: ReceiptContent,
  issued: { readonly iss: string; readonly iat: number },
): ReceiptClaims => ({
  iss: issued.iss,
  iat: issued.iat,
  ...receiptBody(token, content),
  ...(content.audit ? { audit: content.audit } : {}),
});

/**
 * What the success event of a receipt's operation records of it (`receiptDigest`), chained
 * with the event: b64u(SHA-256(JCS(the receipt's claims without `iss`, `iat` and `audit`))).
 * `npm run audit -- verify --receipt` recomputes it from the receipt as it is, so a receipt
 * saying anything the service did not record (another payment or entry, factor, policy,
 * consent, an extra claim), one forged with a leaked key, finds no event of its own.
 */
export const receiptDigest = (claims: Readonly<Record<string, unknown>>): string => {
  const { iss: _iss, iat: _iat, audit: _audit, ...body } = claims;
  return sha256(jcs(body)).toString('base64url');
};
