import { factorTypeOf } from '../domain/factor-id.js';
import { parseStateToken } from '../domain/state-token.js';
import { MfaError } from '../errors.js';
import { codeMac, requireProofMember } from '../factors/kind.js';
import { kindOf } from '../factors/registry.js';
import type { AssertionJson } from '../factors/webauthn/assertion.js';
import type { ApiRequest } from './api-handler.js';
import { factorIdSchema, pathParam } from './schemas.js';

/** The part of a `MfaFlow` input that names a transaction: hashes only, never the token. */
export interface TransactionStep {
  readonly requestId: string;
  readonly clientId: string;
  /** SHA-256 of the user id, from the state token: the user item the transaction lives in. */
  readonly userRef: string;
  readonly stateTokenHash: string;
}

/**
 * The transaction a request names by its `stateToken`. A token that is not one of ours is as
 * unknown as one that expired long ago: 404 `not_found`, and no workflow run.
 *
 * @example
 * const { body } = await request.deps.workflow.run({ operation: 'status', ...transactionStep(request) });
 */
export const transactionStep = (request: ApiRequest<{ stateToken: string }>): TransactionStep => {
  const token = parseStateToken(request.body.stateToken);
  if (!token) throw new MfaError('not_found', 'Unknown state token');
  return { requestId: request.requestId, clientId: request.clientId, ...token };
};

/** The transaction, and the factor the path names (`{factorId}`; 404 when malformed). */
export const factorStep = (
  request: ApiRequest<{ stateToken: string }>,
): TransactionStep & { readonly factorId: string } => ({
  ...transactionStep(request),
  factorId: pathParam(request.pathParameters, 'factorId', factorIdSchema, 'not_found'),
});

/**
 * What proves the factor as it enters the workflow: a pass code only as an HMAC bound to this
 * transaction and factor, so the raw code never reaches the Step Functions execution; a
 * passkey's signed response (`credential`) as it is (not a secret: it signs a single-use,
 * transaction-bound challenge).
 */
export const submittedProof = async (
  request: ApiRequest<{ passCode?: string; credential?: AssertionJson }>,
  step: TransactionStep & { readonly factorId: string },
): Promise<{ passCodeMac: string } | { credential: AssertionJson }> => {
  const type = factorTypeOf(step.factorId);
  const kind = type && kindOf(type);
  if (!kind) throw new MfaError('not_found', 'No such factor in this transaction');
  requireProofMember(kind, request.body);
  const { passCode, credential } = request.body as { passCode: string; credential: AssertionJson };
  if (kind.provenBy === 'credential') return { credential };
  const mac = (kind.submittedMac ?? codeMac)(
    await request.deps.otpKeys.otpMacKey(),
    step,
    passCode,
  );
  if (!mac) {
    throw new MfaError(
      'invalid_request',
      kind.submittedMac
        ? 'Invalid body: passCode: must be 1-64 characters with no control characters'
        : 'Invalid body: passCode: must be 6-8 digits',
    );
  }
  return { passCodeMac: mac };
};
