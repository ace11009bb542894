import { createHash, createPublicKey, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/domain/policy/index.js';
import {
  activeFactor,
  challenge,
  enroll,
  json,
  lastCode,
  startAuthn,
  unique,
  uniquePhone,
  verify as verifyCode,
} from '../support/flows.js';
import { postJson, registerClient, startTestRuntime } from '../support/local.js';
import { activePasskey, approveWithPasskey, passkeyOrigin } from '../support/passkey-flow.js';

/**
 * SCA receipts (API.md "Receipts"): checked here as a third party would, from that text alone:
 * jose against the served JWKS, and the canonical forms recomputed with an RFC 8785 library.
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
const b64u = (data: Buffer) => data.toString('base64url');
const PAYMENT = {
  amount: '42.50',
  currency: 'EUR',
  payee: 'Acme Ltd',
  payeeAccount: 'GB33BUKB20201555555555',
};

/** The receipt verified against the JWKS the service serves now, and its claims. */
const verified = async (receipt: string) => {
  const jwks = (await json(await fetch(`${base}/.well-known/jwks.json`))) as { keys: JWK[] };
  const { payload, protectedHeader } = await jwtVerify(receipt, createLocalJWKSet(jwks), {
    typ: 'sca-receipt+jwt',
    algorithms: ['ES256'],
    issuer: runtime.url,
  });
  expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'sca-receipt+jwt' });
  // biome-ignore lint/suspicious/noExplicitAny: tests read claims loosely and assert their shape
  return payload as Record<string, any>;
};

const bindingOf = (txn: string, members: Record<string, string>) =>
  b64u(sha256(canonicalize({ txn, ...members }) as string));

describe('SCA receipts', () => {
  it('a verify SUCCESS carries a receipt: signed with the token key, binding recomputed, one factor entry', async () => {
    const userId = unique('receipt');
    const phone = uniquePhone();
    const factorId = await activeFactor(base, userId, 'sms', phone);
    const started = await startAuthn(base, {
      userId,
      transaction: PAYMENT,
      consentId: 'consent-7',
    });
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
    const done = await json(
      await verifyCode(base, started.stateToken, factorId, await lastCode(base, phone)),
    );
    expect(done.status).toBe('SUCCESS');
    const claims = await verified(done.receipt);
    // The token names the payee's account too, for the resource server that executes it.
    expect(decodeJwt(done.token).payee_account).toBe(PAYMENT.payeeAccount);
    expect(decodeProtectedHeader(done.receipt).kid).toBe(decodeProtectedHeader(done.token).kid);
    expect(claims).toMatchObject({
      iss: runtime.url,
      sub: userId,
      aud: 'demo',
      txn: started.transactionId,
      consent_id: 'consent-7',
      authorization_details: [
        {
          type: 'payment_initiation',
          instructedAmount: { amount: '42.50', currency: 'EUR' },
          creditorName: 'Acme Ltd',
        },
      ],
      binding: bindingOf(started.transactionId, { ...PAYMENT, consentId: 'consent-7' }),
      // Part of the binding, not of authorization_details: named so the binding recomputes.
      payee_account: PAYMENT.payeeAccount,
      factors: [{ type: 'sms', categories: ['possession'], verifiedAt: expect.any(Number) }],
      policy: { decision: 'require' },
    });
    // The operation's place in the user's audit chain: its `mfa.authn.succeeded` event.
    const events = await json(
      await fetch(
        `${base}/_local/events?transactionId=${started.transactionId}&type=mfa.authn.succeeded`,
      ),
    );
    const [succeeded] = events.events;
    expect(claims.audit).toEqual({ seq: succeeded.detail.seq, hash: succeeded.detail.hash });
    expect(claims.audit.seq).toBe(5); // enrolled, activated, started, challenge sent, succeeded
    // A record, not a credential: no expiry, no token id.
    expect(claims).not.toHaveProperty('exp');
    expect(claims).not.toHaveProperty('jti');
  });

  it("a passkey's entry carries its own signature: anyone can re-check it against the binding", async () => {
    const user = await activePasskey(base, unique('receipt-passkey'));
    const { cred } = user;
    const origin = passkeyOrigin(base);
    const { started, done } = await approveWithPasskey(base, user, PAYMENT);
    const claims = await verified(done.receipt);
    const [entry] = claims.factors;
    expect(entry).toMatchObject({
      type: 'webauthn',
      categories: ['possession', 'inherence'],
      credentialId: b64u(cred.id),
      publicKey: { kty: 'EC', crv: 'P-256' },
    });
    // Re-checked from the receipt alone: binding → challenge → client data → signature.
    const binding = bindingOf(started.transactionId, PAYMENT);
    expect(claims.binding).toBe(binding);
    const expectedChallenge = b64u(sha256(canonicalize({ binding, nonce: entry.nonce }) as string));
    const clientDataJSON = Buffer.from(entry.clientDataJSON, 'base64url');
    expect(JSON.parse(clientDataJSON.toString())).toMatchObject({
      type: 'webauthn.get',
      challenge: expectedChallenge,
      origin,
    });
    const authData = Buffer.from(entry.authenticatorData, 'base64url');
    expect(authData.subarray(0, 32).equals(sha256('localhost'))).toBe(true);
    const key = createPublicKey({ key: entry.publicKey, format: 'jwk' });
    expect(
      verify(
        'sha256',
        Buffer.concat([authData, sha256(clientDataJSON)]),
        key,
        Buffer.from(entry.signature, 'base64url'),
      ),
    ).toBe(true);
    // ...and another amount would not have been this signature's.
    const other = bindingOf(started.transactionId, { ...PAYMENT, amount: '4250.00' });
    expect(b64u(sha256(canonicalize({ binding: other, nonce: entry.nonce }) as string))).not.toBe(
      expectedChallenge,
    );
  });

  it('factor sequencing: one entry per verified factor, in order', async () => {
    const policy = parsePolicy('{"version":1,"rules":[],"default":{"require":"sca"}}');
    const auth = await registerClient(unique('receipt-sca'), 'receipt-secret', policy);
    const userId = unique('receipt-two');
    const phone = uniquePhone();
    const sms = await activeFactor(base, userId, 'sms', phone, auth);
    const pinned = await json(await enroll(base, userId, { type: 'pin', pin: '270419' }, auth));
    const started = await json(
      await postJson(base, '/v1/authn', { userId, transaction: PAYMENT }, auth),
    );
    expect(started.requirement.level).toBe('sca');
    expect((await challenge(base, started.stateToken, sms, auth)).status).toBe(200);
    const first = await json(
      await verifyCode(base, started.stateToken, sms, await lastCode(base, phone), auth),
    );
    expect(first.status).toBe('MFA_REQUIRED');
    expect(first).not.toHaveProperty('receipt');
    const done = await json(
      await verifyCode(base, started.stateToken, pinned.factor.id, '270419', auth),
    );
    expect(done.status).toBe('SUCCESS');
    const claims = await verified(done.receipt);
    expect(claims.factors).toEqual([
      { type: 'sms', categories: ['possession'], verifiedAt: expect.any(Number) },
      { type: 'pin', categories: ['knowledge'], verifiedAt: expect.any(Number) },
    ]);
  });

  it('an exempt start carries a receipt with no factors and the policy decision', async () => {
    const policy = parsePolicy(
      '{"version":1,"rules":[],"exemptions":{"lowValue":{"currency":"EUR","maxAmount":"30.00","maxCumulative":"100.00","maxCount":5}},"default":{"require":"sca"}}',
    );
    const clientId = unique('receipt-bank');
    const auth = await registerClient(clientId, 'receipt-secret', policy);
    const userId = unique('receipt-exempt');
    const small = { amount: '12.00', currency: 'EUR', payee: 'Cafe' };
    const started = await json(
      await postJson(base, '/v1/authn', { userId, transaction: small }, auth),
    );
    expect(started).toMatchObject({ status: 'SUCCESS', exemption: 'low_value' });
    const claims = await verified(started.receipt);
    expect(claims).toMatchObject({
      sub: userId,
      aud: clientId,
      txn: started.transactionId,
      binding: bindingOf(started.transactionId, small),
      factors: [],
      policy: { decision: 'exempt', exemption: 'low_value' },
    });
    expect(claims).not.toHaveProperty('payee_account');
  });
});
