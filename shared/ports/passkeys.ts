import type { PasskeyCredential } from '../factors/webauthn/credential.js';

/** What a registration (`navigator.credentials.create()`) must match. */
export interface RegistrationExpectation {
  /** The registration options' challenge, base64url. */
  readonly challenge: string;
  readonly rpId: string;
  readonly origins: readonly string[];
  readonly userVerificationRequired: boolean;
}

/** A verified registration: the passkey to store, and its flags and counter at creation. */
export interface RegisteredPasskey {
  readonly credential: PasskeyCredential;
  readonly counter: number;
  readonly backupState: boolean;
  /** The authenticator verified its user (UV) when it made the key. */
  readonly userVerified: boolean;
}

/**
 * Port: verifies a passkey registration (RegistrationResponseJSON: client data, attestation
 * object, attestation statement). Undefined when it does not verify, for whatever reason.
 * Adapter: @simplewebauthn/server (`shared/adapters/simplewebauthn-registrar.ts`), loaded only
 * by the function that activates factors.
 */
export interface PasskeyRegistrar {
  verifyRegistration(
    response: unknown,
    expected: RegistrationExpectation,
  ): Promise<RegisteredPasskey | undefined>;
}
