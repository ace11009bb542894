import { matchTotpStep } from '../../domain/otp.js';
import { totpCandidates } from '../../domain/totp.js';
import type { FactorKind, ProofDeps, Submitted } from '../kind.js';

/**
 * Authenticator apps (RFC 6238): the user's device makes the code from a secret shared once,
 * at enrollment; nothing is sent. A code is right for the current time step ±1, compared as
 * HMACs in constant time, and good once: the completing write holds only above the factor's
 * last used step. Proves possession of the device.
 */
const matchingStep = async (
  deps: ProofDeps,
  submitted: Submitted,
  purpose: 'activation' | 'challenge',
  afterStep?: number,
) => {
  const { factor } = submitted;
  const { submittedMac } = submitted;
  if (!factor.sealedSecret || !submittedMac) return undefined;
  const secret = await deps.secretBox.open(factor.sealedSecret, {
    clientId: submitted.clientId,
    userId: submitted.userId,
    factorId: factor.factorId,
  });
  const step = matchTotpStep({
    candidates: totpCandidates(secret, submitted.nowSeconds),
    key: submitted.key,
    purpose,
    binding: submitted.binding,
    submittedMac,
    afterStep,
  });
  return step === undefined ? undefined : { step };
};

export const totpKind: FactorKind = {
  type: 'totp',
  categories: ['possession'],
  amr: ['otp', 'mfa'],
  profile: () => ({}),
  activationProof: (deps, submitted) => matchingStep(deps, submitted, 'activation'),
  challengeProof: (deps, submitted) =>
    matchingStep(deps, submitted, 'challenge', submitted.factor.lastStep),
};
