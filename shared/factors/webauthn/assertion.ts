import { createHash, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import type { PasskeyCredential } from './credential.js';

/**
 * A WebAuthn assertion as the browser's `PublicKeyCredential.toJSON()` gives it, trimmed to
 * what verifying needs (base64url members). It signs a single-use, transaction-bound
 * challenge: not a secret, and useless without the state token.
 */
export interface AssertionJson {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: {
    readonly clientDataJSON: string;
    readonly authenticatorData: string;
    readonly signature: string;
    readonly userHandle?: string;
  };
}

/** The payment the browser showed the user (SPC `payment.get` assertions only). */
export interface ShownPayment {
  readonly total?: { readonly currency?: unknown; readonly value?: unknown };
  readonly payeeName?: unknown;
  readonly payeeOrigin?: unknown;
}

export interface AssertionExpectation {
  readonly credential: PasskeyCredential;
  /** The sign counter stored after the last use (0: none seen yet). */
  readonly storedCounter: number;
  /** The challenge the assertion must sign, base64url. */
  readonly challenge: string;
  readonly rpId: string;
  readonly origins: readonly string[];
  readonly userVerificationRequired: boolean;
}

export type AssertionCheck =
  | {
      readonly ok: true;
      readonly type: 'webauthn.get' | 'payment.get';
      readonly counter: number;
      readonly userVerified: boolean;
      readonly backupEligible: boolean;
      readonly backupState: boolean;
      readonly payment?: ShownPayment;
    }
  /** `reason` names the failed check (for logs: never the material itself). */
  | { readonly ok: false; readonly reason: string };

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10 } as const;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const fromB64u = (text: string) => Buffer.from(text, 'base64url');
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

const parseClientData = (bytes: Buffer): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Verifies an assertion (WebAuthn Level 3 §7.2 "Verifying an Authentication Assertion") with
 * node:crypto: the credential is the stored one; the client data is of type `webauthn.get` or
 * `payment.get` (SPC), signs the expected challenge and comes from an allowed origin, not
 * cross-origin; the authenticator data is for this RP id, with user presence, user
 * verification when required and consistent backup flags; the signature over authenticator
 * data ‖ SHA-256(client data) verifies with the stored public key (ES256 or RS256); and the
 * sign counter moved forward unless both are 0 (synced passkeys: single use then rests on the
 * challenge, spent by the completing write). Registration, with its attestation formats, is
 * @simplewebauthn/server's; this path stays small for the verify function (no X.509 stack).
 */
export const checkAssertion = (
  assertion: AssertionJson,
  expected: AssertionExpectation,
): AssertionCheck => {
  const fail = (reason: string): AssertionCheck => ({ ok: false, reason });
  const { credential } = expected;
  if (assertion.type !== 'public-key') return fail('type');
  if (assertion.id !== credential.id || assertion.rawId !== credential.id) {
    return fail('credential');
  }
  const clientDataBytes = fromB64u(assertion.response.clientDataJSON);
  const clientData = parseClientData(clientDataBytes);
  if (!clientData) return fail('clientData');
  const type = clientData.type;
  if (type !== 'webauthn.get' && type !== 'payment.get') return fail('clientData.type');
  // A payment the browser showed exists only in SPC: elsewhere it is text the page made up,
  // and it would land in the signed receipt beside the real payment.
  if (type !== 'payment.get' && clientData.payment !== undefined) return fail('payment');
  if (
    typeof clientData.challenge !== 'string' ||
    !sameBytes(Buffer.from(clientData.challenge), Buffer.from(expected.challenge))
  ) {
    return fail('challenge');
  }
  if (typeof clientData.origin !== 'string' || !expected.origins.includes(clientData.origin)) {
    return fail('origin');
  }
  // An approval made inside another site's frame is not this app's (SPC allows it; we do not).
  if (
    (clientData.crossOrigin !== undefined && clientData.crossOrigin !== false) ||
    clientData.topOrigin !== undefined
  ) {
    return fail('crossOrigin');
  }

  const authData = fromB64u(assertion.response.authenticatorData);
  if (authData.length < 37) return fail('authenticatorData');
  if (!sameBytes(authData.subarray(0, 32), sha256(Buffer.from(expected.rpId)))) {
    return fail('rpId');
  }
  const flags = authData[32] as number;
  if (!(flags & FLAG.UP)) return fail('userPresence');
  const userVerified = (flags & FLAG.UV) !== 0;
  if (expected.userVerificationRequired && !userVerified) return fail('userVerification');
  const backupEligible = (flags & FLAG.BE) !== 0;
  const backupState = (flags & FLAG.BS) !== 0;
  if (backupState && !backupEligible) return fail('backupFlags');
  // Backup eligibility is fixed when a credential is made (WebAuthn L3 §6.1.3): another value
  // is another credential, or a lie about being device-bound (`hwk`).
  if (backupEligible !== credential.backupEligible) return fail('backupEligibility');
  const counter = authData.readUInt32BE(33);

  const signed = Buffer.concat([authData, sha256(clientDataBytes)]);
  let good = false;
  try {
    const key = createPublicKey({ key: { ...credential.jwk }, format: 'jwk' });
    // ES256: an ASN.1 DER signature (node's default encoding); RS256: PKCS#1 v1.5.
    good = verify('sha256', signed, key, fromB64u(assertion.response.signature));
  } catch {
    good = false;
  }
  if (!good) return fail('signature');
  if ((counter > 0 || expected.storedCounter > 0) && counter <= expected.storedCounter) {
    return fail('counter');
  }
  return {
    ok: true,
    type,
    counter,
    userVerified,
    backupEligible,
    backupState,
    ...(type === 'payment.get' && typeof clientData.payment === 'object' && clientData.payment
      ? { payment: clientData.payment as ShownPayment }
      : {}),
  };
};
