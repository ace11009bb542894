import { RECEIPT_TYPE, type ReceiptContent, receiptClaims } from '../domain/receipt.js';
import { MfaError } from '../errors.js';
import type { VerifiedClaims } from '../flow.js';
import { epochSeconds } from '../ports/clock.js';
import type { ApiRequest } from './api-handler.js';

/** The token members of a successful verify's response. */
export interface SignedToken {
  readonly token: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
}

/**
 * Signs the claims a successful verify returned into the MFA token (`iss`, `iat`, `exp`, `jti`
 * added here). It runs in the API function, after the workflow: the token never passes
 * through Step Functions. A signing failure is a 503 (the transaction is spent: start a new
 * one), never an unsigned token.
 */
export const signMfaToken = async (
  request: ApiRequest<unknown>,
  claims: VerifiedClaims | undefined,
): Promise<SignedToken> => {
  // A verify that succeeds always returns claims: without, the workflow is broken (500).
  if (!claims) throw new Error('MfaFlow verify returned no claims');
  const { config, clock, random, signer } = request.deps;
  const issuer = config.MFA_ISSUER;
  if (!issuer) throw new Error('Invalid configuration: MFA_ISSUER');
  const iat = epochSeconds(clock.now());
  const expiresIn = config.TOKEN_TTL_SECONDS;
  try {
    const token = await signer.sign({
      ...claims,
      iss: issuer,
      iat,
      exp: iat + expiresIn,
      jti: random.uuid(),
    });
    return { token, tokenType: 'Bearer', expiresIn };
  } catch (error) {
    request.log.error('token signing failed', { error, transactionId: claims.txn });
    throw new MfaError(
      'service_unavailable',
      'The token could not be signed; start a new transaction',
    );
  }
};

/**
 * Signs the SCA receipt of a successful operation (API.md "Receipts"): the token's subject,
 * app, transaction and authorization details with the workflow's receipt content, `iss` and
 * `iat` added here; header `typ: "sca-receipt+jwt"`, the same key as the token. Signed beside
 * the token (never through Step Functions); a failure is the same 503 as the token's.
 */
export const signReceipt = async (
  request: ApiRequest<unknown>,
  claims: VerifiedClaims,
  content: ReceiptContent | undefined,
): Promise<string> => {
  if (!content) throw new Error('MfaFlow returned claims without a receipt');
  const { config, clock, signer } = request.deps;
  const iss = config.MFA_ISSUER;
  if (!iss) throw new Error('Invalid configuration: MFA_ISSUER');
  try {
    return await signer.sign(
      receiptClaims(claims, content, { iss, iat: epochSeconds(clock.now()) }),
      RECEIPT_TYPE,
    );
  } catch (error) {
    request.log.error('receipt signing failed', { error, transactionId: claims.txn });
    throw new MfaError(
      'service_unavailable',
      'The receipt could not be signed; start a new transaction',
    );
  }
};

/** The token members and the receipt of a successful operation, signed side by side. */
export const signedSuccess = async (
  request: ApiRequest<unknown>,
  result: { claims?: VerifiedClaims; receipt?: ReceiptContent },
): Promise<SignedToken & { receipt: string }> => {
  // A success always returns claims: without, the workflow is broken (500).
  if (!result.claims) throw new Error('MfaFlow returned a success without claims');
  const [token, receipt] = await Promise.all([
    signMfaToken(request, result.claims),
    signReceipt(request, result.claims, result.receipt),
  ]);
  return { ...token, receipt };
};
