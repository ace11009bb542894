import { httpsConsentChecker } from '../adapters/https-consent-checker.js';
import type { Part } from '../deps.js';

/** The app's consent check over HTTPS (policy `consentCheck`): outbound HTTPS, no AWS client. */
export const consentCheck: Part = {
  name: 'consentCheck',
  provides: { consents: () => httpsConsentChecker() },
};
