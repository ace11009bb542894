import { simpleWebAuthnRegistrar } from '../adapters/simplewebauthn-registrar.js';
import type { Part } from '../deps.js';

/**
 * Verifies passkey registrations (`passkeys:register`): @simplewebauthn/server, no AWS
 * client. Only the function that activates factors loads it (its X.509 stack is large).
 */
export const passkeyRegistrar: Part = {
  name: 'passkeyRegistrar',
  provides: { passkeys: () => simpleWebAuthnRegistrar() },
};
