import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { coseToJwk } from '../../shared/adapters/simplewebauthn-registrar.js';
import { checkAssertion } from '../../shared/factors/webauthn/assertion.js';
import type { PasskeyCredential } from '../../shared/factors/webauthn/credential.js';
import {
  type Flags,
  newCredential,
  type SoftCredential,
  assert as signAssertion,
} from '../support/webauthn-authenticator.js';

const ORIGIN = 'https://app.example.com';
const RP_ID = 'example.com';
const CHALLENGE = Buffer.alloc(32, 9).toString('base64url');

const stored = (cred: SoftCredential): PasskeyCredential => {
  const key = coseToJwk(cred.cosePublicKey);
  if (!key) throw new Error('no key');
  return { id: cred.id.toString('base64url'), alg: key.alg, jwk: key.jwk, backupEligible: false };
};

const expectation = (cred: SoftCredential, storedCounter = 0) => ({
  credential: stored(cred),
  storedCounter,
  challenge: CHALLENGE,
  rpId: RP_ID,
  origins: [ORIGIN],
  userVerificationRequired: true,
});

type Over = {
  origin?: string;
  rpId?: string;
  type?: string;
  flags?: Flags;
  counter?: number;
  challenge?: string;
  clientExtra?: Record<string, unknown>;
};
const make = (cred: SoftCredential, over: Over = {}) =>
  signAssertion(cred, {
    challenge: over.challenge ?? CHALLENGE,
    origin: over.origin ?? ORIGIN,
    rpId: over.rpId ?? RP_ID,
    ...(over.type ? { type: over.type } : {}),
    ...(over.flags ? { flags: over.flags } : {}),
    ...(over.counter === undefined ? {} : { counter: over.counter }),
    ...(over.clientExtra ? { clientExtra: over.clientExtra } : {}),
  });

/** @simplewebauthn/server's verdict on the same assertion: the reference this path must agree with. */
const library = async (
  cred: SoftCredential,
  assertion: ReturnType<typeof make>,
  storedCounter = 0,
) => {
  try {
    const result = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge: CHALLENGE,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      expectedType: ['webauthn.get', 'payment.get'],
      requireUserVerification: true,
      credential: {
        id: cred.id.toString('base64url'),
        publicKey: new Uint8Array(cred.cosePublicKey),
        counter: storedCounter,
      },
    });
    return result.verified;
  } catch {
    return false;
  }
};

describe('passkey assertions (node:crypto), against @simplewebauthn/server', () => {
  const cases: [string, (c: SoftCredential) => ReturnType<typeof make>, boolean, number?][] = [
    ['a good ES256 assertion', (c) => make(c), true],
    ['an SPC payment.get assertion', (c) => make(c, { type: 'payment.get' }), true],
    ['another type (webauthn.create)', (c) => make(c, { type: 'webauthn.create' }), false],
    ['another origin', (c) => make(c, { origin: 'https://evil.example' }), false],
    ['another RP id', (c) => make(c, { rpId: 'evil.example' }), false],
    [
      'another challenge',
      (c) => make(c, { challenge: Buffer.alloc(32, 1).toString('base64url') }),
      false,
    ],
    ['no user verification', (c) => make(c, { flags: { uv: false } }), false],
    ['no user presence', (c) => make(c, { flags: { up: false } }), false],
    [
      'backed up but not backup eligible',
      (c) => make(c, { flags: { bs: true, be: false } }),
      false,
    ],
    ['a counter at the stored one', (c) => make(c, { counter: 5 }), false, 5],
    ['a counter below the stored one', (c) => make(c, { counter: 4 }), false, 5],
    ['a counter above the stored one', (c) => make(c, { counter: 6 }), true, 5],
  ];
  for (const [name, build, verdict, counter] of cases) {
    it(`${name}: ${verdict ? 'accepted' : 'refused'}, as the library decides`, async () => {
      const cred = newCredential();
      const assertion = build(cred);
      const ours = checkAssertion(assertion, expectation(cred, counter ?? 0));
      expect(ours.ok).toBe(verdict);
      expect(await library(cred, assertion, counter ?? 0)).toBe(verdict);
    });
  }

  it('RS256 keys verify; a signature by another key does not', async () => {
    const cred = newCredential({ alg: -257 });
    expect(checkAssertion(make(cred), expectation(cred)).ok).toBe(true);
    const other = newCredential();
    const forged = {
      ...make(other),
      id: cred.id.toString('base64url'),
      rawId: cred.id.toString('base64url'),
    };
    expect(checkAssertion(forged, expectation(cred))).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses another credential id, a tampered client data or authenticator data', () => {
    const cred = newCredential();
    const good = make(cred);
    const other = newCredential();
    expect(checkAssertion(make(other), expectation(cred))).toEqual({
      ok: false,
      reason: 'credential',
    });
    const data = JSON.parse(Buffer.from(good.response.clientDataJSON, 'base64url').toString());
    const edited = Buffer.from(JSON.stringify({ ...data, extra: 1 })).toString('base64url');
    expect(
      checkAssertion(
        { ...good, response: { ...good.response, clientDataJSON: edited } },
        expectation(cred),
      ),
    ).toEqual({ ok: false, reason: 'signature' });
    const authData = Buffer.from(good.response.authenticatorData, 'base64url');
    authData[36] = (authData[36] as number) ^ 1; // the counter's last byte
    expect(
      checkAssertion(
        {
          ...good,
          response: { ...good.response, authenticatorData: authData.toString('base64url') },
        },
        expectation(cred),
      ),
    ).toEqual({ ok: false, reason: 'signature' });
    // Short authenticator data, client data that is not JSON, a cross-origin frame.
    expect(
      checkAssertion(
        { ...good, response: { ...good.response, authenticatorData: 'AAAA' } },
        expectation(cred),
      ),
    ).toEqual({ ok: false, reason: 'authenticatorData' });
    expect(
      checkAssertion(
        { ...good, response: { ...good.response, clientDataJSON: 'bm90IGpzb24' } },
        expectation(cred),
      ),
    ).toEqual({ ok: false, reason: 'clientData' });
    expect(
      checkAssertion(make(cred, { clientExtra: { crossOrigin: true } }), expectation(cred)),
    ).toEqual({
      ok: false,
      reason: 'crossOrigin',
    });
  });

  it('refuses crossOrigin in any truthy form, and a backup eligibility other than registered', () => {
    const cred = newCredential();
    for (const crossOrigin of [true, 'true', 1]) {
      expect(
        checkAssertion(make(cred, { clientExtra: { crossOrigin } }), expectation(cred)),
      ).toEqual({
        ok: false,
        reason: 'crossOrigin',
      });
    }
    expect(checkAssertion(make(cred, { flags: { be: true } }), expectation(cred))).toEqual({
      ok: false,
      reason: 'backupEligibility',
    });
    const synced = newCredential({ be: true, bs: true });
    const registered = {
      ...expectation(synced),
      credential: { ...stored(synced), backupEligible: true },
    };
    expect(checkAssertion(make(synced), registered)).toMatchObject({
      ok: true,
      backupEligible: true,
    });
    expect(checkAssertion(make(synced, { flags: { be: false, bs: false } }), registered)).toEqual({
      ok: false,
      reason: 'backupEligibility',
    });
  });

  it('refuses a payment member outside SPC: text the page made up would reach the receipt', () => {
    const cred = newCredential();
    const payment = { total: { currency: 'EUR', value: '1.00' }, payeeName: 'Charity' };
    expect(checkAssertion(make(cred, { clientExtra: { payment } }), expectation(cred))).toEqual({
      ok: false,
      reason: 'payment',
    });
    expect(
      checkAssertion(
        make(cred, { type: 'payment.get', clientExtra: { payment } }),
        expectation(cred),
      ),
    ).toMatchObject({ ok: true, payment });
  });

  it('with UV not required, an assertion without it passes and says so', () => {
    const cred = newCredential({ uv: false });
    const check = checkAssertion(make(cred), {
      ...expectation(cred),
      userVerificationRequired: false,
    });
    expect(check).toMatchObject({
      ok: true,
      userVerified: false,
      type: 'webauthn.get',
      counter: 1,
    });
  });
});
