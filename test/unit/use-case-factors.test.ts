import { describe, expect, it } from 'vitest';
import type { TaskDeps } from '../../shared/flow-task.js';
import { enrollFactor } from '../../shared/use-cases/factor-enroll.js';
import {
  activateFactor,
  deleteFactor,
  resendFactorCode,
} from '../../shared/use-cases/factor-manage.js';
import { addTrustedPayee } from '../../shared/use-cases/trusted-payees.js';
import {
  CLIENT,
  refused,
  T0,
  type UseCaseHarness,
  useCaseDeps,
  wrong,
} from '../support/use-case-deps.js';

/**
 * Factor enrollment, activation, resend and deletion on the in-memory store, with and without
 * the factor-change step-up (`FACTOR_CHANGE_MAX_AGE_SECONDS`). Every refusal by its exact code.
 */
const enroll = (h: UseCaseHarness, userId: string, email: string, mfaToken?: string) =>
  enrollFactor(h.deps, {
    clientId: CLIENT,
    userId,
    body: { type: 'email', email },
    ...(mfaToken ? { mfaToken } : {}),
  });
const idOf = (enrolled: Awaited<ReturnType<typeof enroll>>) =>
  (enrolled.body.factor as { id: string }).id;
const activate = (
  h: UseCaseHarness,
  userId: string,
  factorId: string,
  passCode: string,
  mfaToken?: string,
  deps: TaskDeps = h.deps,
) =>
  activateFactor(deps, {
    clientId: CLIENT,
    userId,
    factorId,
    passCode,
    ...(mfaToken ? { mfaToken } : {}),
  });
const stored = (h: UseCaseHarness, userId: string) => h.stores.user(CLIENT, userId);

describe('enroll and activate', () => {
  it('enrolls a pending email factor, sends its code, and activates with it', async () => {
    const h = useCaseDeps();
    const enrolled = await enroll(h, 'alice', 'Alice@Example.com');
    expect(enrolled).toMatchObject({
      status: 201,
      body: {
        factor: {
          type: 'email',
          status: 'PENDING_ACTIVATION',
          profile: { email: 'a***@example.com' },
        },
        activation: { expiresAt: new Date((T0 + 300) * 1000).toISOString() },
      },
    });
    expect(h.sent.map((m) => m.to)).toEqual(['alice@example.com']);
    const factorId = idOf(enrolled);
    const code = h.lastCode('alice@example.com');
    expect(await activate(h, 'alice', factorId, code)).toMatchObject({
      factor: { id: factorId, status: 'ACTIVE' },
    });
    expect(stored(h, 'alice')).toMatchObject({ activeCount: 1, factorCount: 1 });
    expect(stored(h, 'alice')?.factors[factorId]?.activation).toBeUndefined();
    expect(h.eventTypes()).toEqual(['mfa.factor.enrolled', 'mfa.factor.activated']);
  });

  it('reserves each attempt before comparing: 401 ×4, 403 at the 5th, a 6th refused unread', async () => {
    const h = useCaseDeps();
    const factorId = idOf(await enroll(h, 'bob', 'bob@example.com'));
    const code = h.lastCode('bob@example.com');
    for (const attemptsRemaining of [4, 3, 2, 1]) {
      const error = await refused(
        activate(h, 'bob', factorId, wrong(code)),
        401,
        'invalid_passcode',
      );
      expect(error.extras).toEqual({ attemptsRemaining });
    }
    await refused(activate(h, 'bob', factorId, wrong(code)), 403, 'locked_out');
    // The right code now: refused from the read, before any reservation or comparison.
    h.stores.calls.length = 0;
    await refused(activate(h, 'bob', factorId, code), 403, 'locked_out');
    expect(h.stores.calls).toEqual(['factors.getUser']);
    expect(stored(h, 'bob')?.factors[factorId]).toMatchObject({
      status: 'PENDING_ACTIVATION',
      activation: { attempts: 5 },
    });
    expect(h.eventTypes().filter((t) => t === 'mfa.factor.activation_failed')).toHaveLength(5);
  });

  it('an attempt another request took meanwhile: 403 from what the refused write saw', async () => {
    const h = useCaseDeps({ MAX_ATTEMPTS: '1' });
    const factorId = idOf(await enroll(h, 'carl', 'carl@example.com'));
    const code = h.lastCode('carl@example.com');
    const racing: TaskDeps = {
      ...h.deps,
      factors: {
        ...h.stores.factors,
        reserveActivationAttempt: async (...args) => {
          await h.stores.factors.reserveActivationAttempt(...args); // the other request's
          return h.stores.factors.reserveActivationAttempt(...args);
        },
      },
    };
    h.stores.calls.length = 0;
    await refused(activate(h, 'carl', factorId, code, undefined, racing), 403, 'locked_out');
    expect(h.stores.calls).toEqual([
      'factors.getUser',
      'factors.reserveActivationAttempt',
      'factors.reserveActivationAttempt',
    ]);
    expect(stored(h, 'carl')?.factors[factorId]?.status).toBe('PENDING_ACTIVATION');
  });

  it('resend: 429 resend_too_soon in the cooldown; then a new code replaces the old one', async () => {
    const h = useCaseDeps();
    const factorId = idOf(await enroll(h, 'dora', 'dora@example.com'));
    const first = h.lastCode('dora@example.com');
    const ref = { clientId: CLIENT, userId: 'dora', factorId };
    const tooSoon = await refused(resendFactorCode(h.deps, ref), 429, 'resend_too_soon');
    expect(tooSoon.headers).toEqual({ 'retry-after': '30' });
    h.advance(30);
    await resendFactorCode(h.deps, ref);
    const second = h.lastCode('dora@example.com');
    expect(second).not.toBe(first);
    await refused(activate(h, 'dora', factorId, first), 401, 'invalid_passcode');
    expect(await activate(h, 'dora', factorId, second)).toMatchObject({
      factor: { status: 'ACTIVE' },
    });
  });

  it('a code that cannot be delivered: 503, no factor left behind, the counters given back', async () => {
    const h = useCaseDeps();
    h.messenger.failing = true;
    await refused(enroll(h, 'flo', 'flo@example.com'), 503, 'delivery_failed');
    expect(stored(h, 'flo')?.factors).toEqual({});
    // The address's, the user's and the app's activation emails: each given back.
    expect([...h.stores.counters.values()].map((item) => item.count)).toEqual([0, 0, 0]);
    h.messenger.failing = false;
    expect((await enroll(h, 'flo', 'flo@example.com')).status).toBe(201);
  });

  it('409 factor_exists for an active address, 409 too_many_factors at the cap; delete frees both', async () => {
    const h = useCaseDeps({ MAX_FACTORS_PER_USER: '2' });
    const a = idOf(await enroll(h, 'eve', 'eve@example.com'));
    await activate(h, 'eve', a, h.lastCode('eve@example.com'));
    await refused(enroll(h, 'eve', 'EVE@example.com'), 409, 'factor_exists');
    h.advance(30);
    const b = idOf(await enroll(h, 'eve', 'eve2@example.com'));
    await refused(enroll(h, 'eve', 'eve3@example.com'), 409, 'too_many_factors');
    await deleteFactor(h.deps, { clientId: CLIENT, userId: 'eve', factorId: a });
    expect(stored(h, 'eve')).toMatchObject({ activeCount: 0, factorCount: 1 });
    expect(Object.keys(stored(h, 'eve')?.factors ?? {})).toEqual([b]);
    expect(Object.keys(stored(h, 'eve')?.byDestination ?? {})).toHaveLength(1);
    const ref = { clientId: CLIENT, userId: 'eve', factorId: a };
    await refused(deleteFactor(h.deps, ref), 404, 'not_found');
    expect((await enroll(h, 'eve', 'eve@example.com')).status).toBe(201);
  });
});

describe('factor changes stepped up (FACTOR_CHANGE_MAX_AGE_SECONDS=300)', () => {
  const stepped = () => useCaseDeps({ FACTOR_CHANGE_MAX_AGE_SECONDS: '300' });
  const withActive = async (h: UseCaseHarness, userId: string) => {
    const factorId = idOf(await enroll(h, userId, `${userId}@example.com`));
    await activate(h, userId, factorId, h.lastCode(`${userId}@example.com`));
    return factorId;
  };

  it('no token is needed for the first factor; with one active, 401 without a token', async () => {
    const h = stepped();
    await withActive(h, 'finn'); // no active factor yet: the write holds "none active"
    const error = await refused(
      enroll(h, 'finn', 'finn2@example.com'),
      401,
      'insufficient_user_authentication',
    );
    expect(error.extras).toEqual({ maxAge: 300 });
    const other = await h.mfaToken('someone-else');
    await refused(enroll(h, 'finn', 'finn2@example.com', other), 401, 'invalid_token');
    const token = await h.mfaToken('finn', { jti: 'jti-finn' });
    const b = idOf(await enroll(h, 'finn', 'finn2@example.com', token));
    expect(stored(h, 'finn')?.stepUps).toEqual({
      // Kept until the token's expiry (+ skew), whatever the route's max age.
      'jti-finn': { factorId: b, until: T0 + 900 + 60 },
    });
  });

  it('a token spent on one factor changes that factor only (401 for another)', async () => {
    const h = stepped();
    const a = await withActive(h, 'gwen');
    h.advance(30);
    const token = await h.mfaToken('gwen');
    const b = idOf(await enroll(h, 'gwen', 'gwen2@example.com', token));
    const ref = { clientId: CLIENT, userId: 'gwen', mfaToken: token };
    await refused(
      deleteFactor(h.deps, { ...ref, factorId: a }),
      401,
      'insufficient_user_authentication',
    );
    expect(stored(h, 'gwen')?.factors[a]?.status).toBe('ACTIVE');
    const code = h.lastCode('gwen2@example.com');
    expect(await activate(h, 'gwen', b, code, token)).toMatchObject({ factor: { id: b } });
    expect(stored(h, 'gwen')?.activeCount).toBe(2);
  });

  it('a token of one category cannot change the factors of a user whose factors prove two (a swapped SIM deletes no PIN)', async () => {
    const h = stepped();
    await withActive(h, 'hana'); // email: no category
    const sms = await h.seedFactor('hana', 'sms');
    const pin = await h.seedFactor('hana', 'pin', { destination: undefined });
    const mfa = await h.mfaToken('hana', { acr: 'mfa', amr: ['sms', 'otp', 'mfa'] });
    const ref = { clientId: CLIENT, userId: 'hana' };
    await refused(
      deleteFactor(h.deps, { ...ref, factorId: pin.factorId, mfaToken: mfa }),
      401,
      'insufficient_user_authentication',
    );
    await refused(
      enroll(h, 'hana', 'hana2@example.com', mfa),
      401,
      'insufficient_user_authentication',
    );
    expect(stored(h, 'hana')?.factors[pin.factorId]?.status).toBe('ACTIVE');
    // Two categories (the app's password and the SMS code): the change goes through.
    const sca = await h.mfaToken('hana', { acr: 'sca', amr: ['pwd', 'sms', 'otp', 'mfa'] });
    await deleteFactor(h.deps, { ...ref, factorId: sms.factorId, mfaToken: sca });
    expect(stored(h, 'hana')?.factors[sms.factorId]).toBeUndefined();
  });

  it('a spent token stays spent on every route that spends tokens, whatever their max ages', async () => {
    for (const [maxAge, wait] of [
      ['60', 123], // the factor change's entry would go at 120 s; a payee change takes it up to 300 s
      ['900', 363], // the payee change's would go at 360 s; a factor change takes it up to 900 s
    ] as const) {
      const h = useCaseDeps({ FACTOR_CHANGE_MAX_AGE_SECONDS: maxAge });
      const userId = `jo-${maxAge}`;
      await withActive(h, userId);
      const sca = { acr: 'sca', amr: ['pwd', 'sms', 'otp', 'mfa'] };
      const token = await h.mfaToken(userId, sca);
      const payee = (payeeAccount: string, mfaToken: string) =>
        addTrustedPayee(h.deps, { clientId: CLIENT, userId, payeeAccount, payee: 'X', mfaToken });
      const factorChange = (mfaToken: string) =>
        enroll(h, userId, `${userId}-${h.now()}@example.com`, mfaToken);
      // Spent on one route; refused on the other at once.
      if (maxAge === '60') {
        expect((await factorChange(token)).status).toBe(201);
        await refused(payee('ACC1', token), 401, 'insufficient_user_authentication');
      } else {
        await payee('ACC1', token);
        await refused(factorChange(token), 401, 'insufficient_user_authentication');
      }
      // Later the user makes another change with a fresh token (its write prunes old entries)...
      h.advance(wait);
      await payee('ACC2', await h.mfaToken(userId, sca));
      // ...and the first token, still young enough for the other route, stays spent.
      if (maxAge === '60') {
        await refused(payee('ATTACKER', token), 401, 'insufficient_user_authentication');
      } else {
        await refused(factorChange(token), 401, 'insufficient_user_authentication');
      }
    }
  });

  it('the guard is in the write: a factor activated meanwhile makes the enroll 401', async () => {
    const h = stepped();
    const pending = await h.seedFactor('hugo', 'email', {
      status: 'PENDING_ACTIVATION',
      activation: { codeMac: 'mac', expiresAt: T0 + 300, attempts: 0 },
    });
    const racing: TaskDeps = {
      ...h.deps,
      factors: {
        ...h.stores.factors,
        add: async (...args) => {
          // Another request activates the pending factor between the read and this write.
          await h.stores.factors.activate(
            CLIENT,
            'hugo',
            pending.factorId,
            { codeMac: 'mac' },
            { nowSeconds: h.now(), audit: { events: [] } },
          );
          return h.stores.factors.add(...args);
        },
      },
    };
    const totp = enrollFactor(racing, { clientId: CLIENT, userId: 'hugo', body: { type: 'totp' } });
    await refused(totp, 401, 'insufficient_user_authentication');
    expect(Object.keys(stored(h, 'hugo')?.factors ?? {})).toEqual([pending.factorId]);
    expect(h.eventTypes()).toEqual([]);
  });
});
