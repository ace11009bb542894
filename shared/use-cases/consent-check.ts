import { MfaError } from '../errors.js';
import type { StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';

/**
 * The app's consent check (policy `consentCheck`), for a start that names a consent, before
 * anything is written: refused → 403 `invalid_consent`, no answer → 503.
 */
export const checkConsent = async (input: StartInput, transactionId: string, deps: TaskDeps) => {
  const url = input.policy?.consentCheck?.url;
  if (url === undefined || input.consentId === undefined) return;
  const verdict = await deps.consents.check(url, {
    consentId: input.consentId,
    userId: input.userId,
    ...(input.transaction ? { transaction: input.transaction } : {}),
  });
  if (verdict === 'valid') return;
  deps.log.warn('authn refused: consent check', { transactionId, verdict });
  if (verdict === 'invalid') {
    throw new MfaError('invalid_consent', "The app's consent check refused this consent", {
      transactionId,
    });
  }
  throw new MfaError(
    'service_unavailable',
    "The app's consent check did not answer; try again",
    {},
    { 'retry-after': '1' },
  );
};
