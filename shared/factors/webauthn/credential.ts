import type { StoredFactor } from '../../domain/entities.js';
import type { SecretBox } from '../../ports/secret-box.js';

/** COSE algorithms a passkey may use: ES256 (P-256) and RS256 (RSASSA-PKCS1-v1_5, SHA-256). */
export const PASSKEY_ALGORITHMS = [-7, -257] as const;
export type PasskeyAlgorithm = (typeof PASSKEY_ALGORITHMS)[number];

/** The public key of a passkey as a JWK (what a receipt shows, what node:crypto verifies with). */
export type PasskeyJwk =
  | { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string }
  | { readonly kty: 'RSA'; readonly n: string; readonly e: string };

/**
 * A registered passkey, sealed at rest like every factor secret (bound to the app, user and
 * factor: a sealed credential copied to another factor does not open). The sign counter and
 * backup state stay outside it, in plain attributes the completing write conditions on.
 */
export interface PasskeyCredential {
  /** The credential id, base64url. */
  readonly id: string;
  readonly alg: PasskeyAlgorithm;
  readonly jwk: PasskeyJwk;
  /** Backup eligible (BE): a synced passkey (`swk`) rather than a device-bound key (`hwk`). */
  readonly backupEligible: boolean;
  /** Transports the authenticator reported at registration (a hint to the browser). */
  readonly transports?: readonly string[];
}

const contextOf = (clientId: string, userId: string, factorId: string) => ({
  clientId,
  userId,
  factorId,
});

export const sealCredential = (
  box: SecretBox,
  owner: { clientId: string; userId: string; factorId: string },
  credential: PasskeyCredential,
): Promise<string> =>
  box.seal(
    Buffer.from(JSON.stringify(credential)),
    contextOf(owner.clientId, owner.userId, owner.factorId),
  );

/** The factor's passkey, or undefined when it has none (not activated yet). */
export const openCredential = async (
  box: SecretBox,
  owner: { clientId: string; userId: string; factor: StoredFactor },
): Promise<PasskeyCredential | undefined> => {
  const sealed = owner.factor.sealedSecret;
  if (!sealed) return undefined;
  const opened = await box.open(
    sealed,
    contextOf(owner.clientId, owner.userId, owner.factor.factorId),
  );
  return JSON.parse(Buffer.from(opened).toString('utf8')) as PasskeyCredential;
};
