import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkChain } from '../../shared/domain/audit-chain.js';
import { deviceRef } from '../../shared/domain/policy/index.js';
import {
  activeFactor,
  challenge,
  enroll,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  unique,
  uniquePhone,
  verify,
  wrongCode,
} from '../support/flows.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
const secrets: string[] = [];

beforeAll(async () => {
  // A low lock threshold, so one transaction can lock a factor.
  runtime = await startTestRuntime({ env: { FACTOR_LOCK_THRESHOLD: '2' } });
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

type Event = {
  id: string;
  source: string;
  detailType: string;
  detail: Awaited<ReturnType<typeof json>>;
};

/** The audit events, read back over HTTP from the local bus. */
const eventsOf = async (query: Record<string, string>): Promise<Event[]> =>
  (await json(await fetch(`${base}/_local/events?${new URLSearchParams(query)}`))).events;

const ref = (userId: string) => createHash('sha256').update(userId).digest('base64url');
const payment = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };

describe('audit events on the bus', () => {
  it('a transaction: started, challenge sent, failed (with what is left), succeeded with the payment', async () => {
    const userId = unique('audit');
    const phone = uniquePhone();
    secrets.push(userId, phone);
    const factorId = await activeFactor(base, userId, 'sms', phone);
    const context = { ip: '203.0.113.7', country: 'GB', deviceId: 'd-1' };
    const started = await startAuthn(base, {
      userId,
      context,
      transaction: payment,
      consentId: 'c-1',
    });
    secrets.push(started.stateToken);
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
    const code = await lastCode(base, phone);
    secrets.push(code);
    await expectProblem(
      await verify(base, started.stateToken, factorId, wrongCode(code)),
      401,
      'invalid_passcode',
    );
    const approved = await verify(base, started.stateToken, factorId, code);
    expect(approved.status).toBe(200);
    const { receipt } = (await approved.json()) as { receipt: string };
    const receiptClaims = JSON.parse(
      Buffer.from(receipt.split('.')[1] as string, 'base64url').toString(),
    );

    const events = await eventsOf({ transactionId: started.transactionId });
    expect(events.map((event) => event.detailType)).toEqual([
      'mfa.authn.started',
      'mfa.challenge.sent',
      'mfa.authn.failed',
      'mfa.authn.succeeded',
    ]);
    const common = {
      clientId: 'demo',
      userRef: ref(userId),
      transactionId: started.transactionId,
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      // The user's audit chain: after the factor's enrolled (1) and activated (2).
      hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    };
    const [start, sent, failed, succeeded] = events.map((event) => event.detail);
    expect(start).toEqual({
      ...common,
      type: 'mfa.authn.started',
      seq: 3,
      status: 'MFA_REQUIRED',
      // What the app's policy decided (none set: require, as in v1).
      policy: { decision: 'require' },
      // The device id as its SHA-256, as remembered devices are kept.
      context: { ip: '203.0.113.7', country: 'GB', deviceRef: deviceRef('d-1') },
      transaction: payment,
      consentId: 'c-1',
    });
    expect(sent).toEqual({
      ...common,
      type: 'mfa.challenge.sent',
      seq: 4,
      factorId,
      factorType: 'sms',
    });
    expect(failed).toEqual({
      ...common,
      type: 'mfa.authn.failed',
      seq: 5,
      factorId,
      factorType: 'sms',
      code: 'invalid_passcode',
      attemptsRemaining: 4,
    });
    expect(succeeded).toEqual({
      ...common,
      type: 'mfa.authn.succeeded',
      seq: 6,
      factorId,
      factorType: 'sms',
      transaction: payment,
      consentId: 'c-1',
      // What the receipt says of the operation (every claim but iss, iat and audit),
      // recomputed here by its canonical form.
      receiptDigest: createHash('sha256')
        .update(
          canonicalize({
            ...receiptClaims,
            iss: undefined,
            iat: undefined,
            audit: undefined,
          }) as string,
        )
        .digest('base64url'),
    });
    expect(new Set(events.map((event) => event.detail.eventId)).size).toBe(4);
    // The whole chain of the user holds: enrolled, activated, then the transaction's four.
    const chain = await eventsOf({ clientId: 'demo', userRef: ref(userId) });
    expect(chain.map((event) => event.detail.type)).toEqual([
      'mfa.factor.enrolled',
      'mfa.factor.activated',
      ...events.map((event) => event.detailType),
    ]);
    expect(
      checkChain(
        chain.map((event) => event.detail),
        { clientId: 'demo', userRef: ref(userId) },
      ),
    ).toMatchObject({ ok: true, count: 6 });
    expect(new Set(events.map((event) => event.source))).toEqual(new Set(['mfa.service']));
  });

  it('an MFA_ENROLL start is audited too, and a cancel', async () => {
    const unknown = await startAuthn(base, { userId: unique('nobody') });
    const [enrollEvent] = await eventsOf({ transactionId: unknown.transactionId });
    expect(enrollEvent?.detailType).toBe('mfa.authn.started');
    expect(enrollEvent?.detail.status).toBe('MFA_ENROLL');

    const userId = unique('cancel');
    const email = `${userId}@example.com`;
    secrets.push(email);
    await activeFactor(base, userId, 'email', email);
    const started = await startAuthn(base, { userId });
    secrets.push(started.stateToken);
    const cancel = await postJson(base, '/v1/authn/cancel', { stateToken: started.stateToken });
    expect(cancel.status).toBe(200);
    const types = (await eventsOf({ transactionId: started.transactionId })).map(
      (event) => event.detailType,
    );
    expect(types).toEqual(['mfa.authn.started', 'mfa.authn.cancelled']);
  });

  it('the failure that reaches the lock threshold ends in factor.locked with when it ends', async () => {
    const userId = unique('locked');
    const email = `${userId}@example.com`;
    secrets.push(email);
    const factorId = await activeFactor(base, userId, 'email', email);
    const started = await startAuthn(base, { userId });
    secrets.push(started.stateToken);
    await challenge(base, started.stateToken, factorId);
    const code = await lastCode(base, email);
    secrets.push(code);
    await verify(base, started.stateToken, factorId, wrongCode(code));
    await verify(base, started.stateToken, factorId, wrongCode(code));
    const events = await eventsOf({ transactionId: started.transactionId });
    expect(events.map((event) => event.detailType)).toEqual([
      'mfa.authn.started',
      'mfa.challenge.sent',
      'mfa.authn.failed',
      'mfa.authn.failed',
      'mfa.factor.locked',
    ]);
    const locked = events.at(-1)?.detail;
    expect(locked).toMatchObject({ factorId, userRef: ref(userId) });
    expect(locked?.lockedUntil).toBeGreaterThan(Date.now() / 1000 + 890);
  });

  it('a delivery that fails for good is followed by challenge.failed', async () => {
    const userId = unique('undelivered');
    const email = `${userId}@example.com`;
    secrets.push(email);
    const factorId = await activeFactor(base, userId, 'email', email);
    const started = await startAuthn(base, { userId });
    secrets.push(started.stateToken);
    runtime.outbox.failDeliveriesTo(email);
    await expectProblem(
      await challenge(base, started.stateToken, factorId),
      503,
      'delivery_failed',
    );
    runtime.outbox.failDeliveriesTo(email, false);
    const types = (await eventsOf({ transactionId: started.transactionId })).map(
      (event) => event.detailType,
    );
    expect(types).toEqual(['mfa.authn.started', 'mfa.challenge.sent', 'mfa.challenge.failed']);
  });

  it('factors: enrolled, activated and deleted', async () => {
    const userId = unique('factor');
    const email = `${userId}@example.com`;
    secrets.push(email);
    const pending = await json(await enroll(base, userId, { type: 'email', email }));
    const factorId = pending.factor.id as string;
    const wrong = await postJson(base, `/v1/users/${userId}/factors/${factorId}/activate`, {
      passCode: wrongCode(await lastCode(base, email)),
    });
    await expectProblem(wrong, 401, 'invalid_passcode');
    const activated = await postJson(base, `/v1/users/${userId}/factors/${factorId}/activate`, {
      passCode: await lastCode(base, email),
    });
    expect(activated.status).toBe(200);
    const deleted = await fetch(`${base}/v1/users/${userId}/factors/${factorId}`, {
      method: 'DELETE',
      headers: { authorization: basicAuth() },
    });
    expect(deleted.status).toBe(204);
    const mine = (await eventsOf({})).filter((event) => event.detail.factorId === factorId);
    expect(mine.map((event) => event.detailType)).toEqual([
      'mfa.factor.enrolled',
      'mfa.factor.activation_failed',
      'mfa.factor.activated',
      'mfa.factor.deleted',
    ]);
    expect(mine[1]?.detail).toMatchObject({ code: 'invalid_passcode', attemptsRemaining: 4 });
    for (const event of mine) {
      expect(event.detail).toMatchObject({ clientId: 'demo', userRef: ref(userId) });
      expect(event.detail.factorType).toBe('email');
    }
    const totp = await json(await enroll(base, userId, { type: 'totp' }));
    const [enrolled] = await eventsOf({ type: 'mfa.factor.enrolled' }).then((all) =>
      all.filter((event) => event.detail.factorId === totp.factor.id),
    );
    expect(enrolled?.detail.factorType).toBe('totp');
    secrets.push(totp.activation.secret);
  });

  it('carry no user id, code, state token, secret, phone number or email', async () => {
    const all = JSON.stringify(await eventsOf({}));
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});
