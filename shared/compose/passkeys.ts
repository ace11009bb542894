import type { Part } from '../deps.js';
import type { PasskeyRegistrar } from '../ports/passkeys.js';

/**
 * Verifies passkey registrations (`passkeys:register`): @simplewebauthn/server, no AWS
 * client. Only the function that activates factors has it, and it loads the adapter on the
 * first passkey registration it verifies: its X.509/ASN.1 stack (a third of that bundle)
 * would otherwise be evaluated at every cold start of a function that mostly activates
 * codes, TOTP and PINs.
 */
export const passkeyRegistrar: Part = {
  name: 'passkeyRegistrar',
  provides: {
    passkeys: (): PasskeyRegistrar => {
      let loaded: Promise<PasskeyRegistrar> | undefined;
      return {
        verifyRegistration: async (response, expected) => {
          loaded ??= import('../adapters/simplewebauthn-registrar.js').then((adapter) =>
            adapter.simpleWebAuthnRegistrar(),
          );
          return (await loaded).verifyRegistration(response, expected);
        },
      };
    },
  },
};
