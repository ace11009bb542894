import { RECEIPT_TYPE, type ReceiptContent, receiptClaims } from '../domain/receipt.js';
import { MfaError } from '../errors.js';
import type { VerifiedClaims } from '../flow.js';
import { epochSeconds } from '../ports/clock.js';
import type { AuditEvent } from '../ports/events.js';
import { publish } from '../use-cases/audit.js';
import type { ApiRequest } from './api-handler.js';

/** The token members of a successful verify's response. */
export interface SignedToken {
  readonly token: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
}

/** The issuer and the time every JWS of this answer carries (`iss`, `iat`). */
const issued = (request: ApiRequest<unknown>) => {
  const iss = request.deps.config.MFA_ISSUER;
  if (!iss) throw new Error('Invalid configuration: MFA_ISSUER');
  return { iss, iat: epochSeconds(request.deps.clock.now()) };
};

/**
 * One JWS of a successful operation, signed in the API function after the workflow (never
 * through Step Functions). A signing failure is a 503 (the transaction is spent: start a new
 * one), never an unsigned answer.
 */
const signOr503 = async (
  request: ApiRequest<unknown>,
  what: 'token' | 'receipt',
  transactionId: string,
  sign: () => Promise<string>,
): Promise<string> => {
  try {
    return await sign();
  } catch (error) {
    request.log.error(`${what} signing failed`, { error, transactionId });
    throw new MfaError(
      'service_unavailable',
      `The ${what} could not be signed; start a new transaction`,
    );
  }
};

/** The MFA token from the workflow's claims: `iss`, `iat`, `exp` and `jti` added here. */
const signToken = async (
  request: ApiRequest<unknown>,
  claims: VerifiedClaims,
  { iss, iat }: { iss: string; iat: number },
): Promise<SignedToken> => {
  const expiresIn = request.deps.config.TOKEN_TTL_SECONDS;
  const token = await signOr503(request, 'token', claims.txn, () =>
    request.deps.signer.sign({
      ...claims,
      iss,
      iat,
      exp: iat + expiresIn,
      jti: request.deps.random.uuid(),
    }),
  );
  return { token, tokenType: 'Bearer', expiresIn };
};

/**
 * Signs the claims a successful verify returned into the MFA token (`iss`, `iat`, `exp`, `jti`
 * added here); a signing failure is a 503.
 */
export const signMfaToken = async (
  request: ApiRequest<unknown>,
  claims: VerifiedClaims | undefined,
): Promise<SignedToken> => {
  // A verify that succeeds always returns claims: without, the workflow is broken (500).
  if (!claims) throw new Error('MfaFlow verify returned no claims');
  return signToken(request, claims, issued(request));
};

/**
 * The token members and the SCA receipt of a successful operation (API.md "Receipts"),
 * signed side by side with the same key, `iss` and `iat`: the receipt is the token's subject,
 * app, transaction and authorization details with the workflow's receipt content, header
 * `typ: "sca-receipt+jwt"`.
 */
export const signedSuccess = async (
  request: ApiRequest<unknown>,
  result: { claims?: VerifiedClaims; receipt?: ReceiptContent; events?: readonly AuditEvent[] },
): Promise<SignedToken & { receipt: string }> => {
  // A success always returns claims and a receipt: without, the workflow is broken (500).
  const { claims, receipt: content } = result;
  if (!claims || !content) throw new Error('MfaFlow returned a success without claims');
  const at = issued(request);
  // The operation's audit events (already on the user's chain) go out meanwhile: a failed
  // publish is logged and alarmed, never the answer's failure.
  const events = result.events ?? [];
  const published = events.length
    ? publish({ events: request.deps.events, log: request.log }, events)
    : Promise.resolve();
  try {
    const [token, receipt] = await Promise.all([
      signToken(request, claims, at),
      signOr503(request, 'receipt', claims.txn, () =>
        request.deps.signer.sign(receiptClaims(claims, content, at), RECEIPT_TYPE),
      ),
    ]);
    return { ...token, receipt };
  } finally {
    await published;
  }
};
