import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashStateToken, userRef } from '../../shared/domain/state-token.js';
import { secondsToNextHour } from '../../shared/domain/time.js';
import { deps } from '../support/deps.js';
import {
  activeFactor,
  challenge,
  enroll,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  testClock,
  unique,
  uniquePhone,
  verify,
} from '../support/flows.js';
import { basicAuth, postJson, registerClient, startTestRuntime } from '../support/local.js';

/** Per-app send limits: destination counters per app, and the app's hourly SMS budget. */
const BUDGET = 24;
const EMAIL_ACTIVATIONS = 25;
const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime({
    clock,
    env: {
      SMS_PER_APP_PER_HOUR: String(BUDGET),
      EMAIL_ACTIVATIONS_PER_APP_PER_HOUR: String(EMAIL_ACTIVATIONS),
    },
  });
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});
// Each test starts at the top of a fresh clock hour: hourly counters start from zero.
beforeEach(() => {
  clock.advance(secondsToNextHour(Math.floor(clock.now().getTime() / 1000)) + 1);
});

const outboxTo = async (to: string) =>
  (await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(to)}`))).messages;

/** `count` users of `app`, each with an active SMS factor (one activation code each). */
const activeUsers = async (app: string, count: number) => {
  const users: { userId: string; phone: string; factorId: string }[] = [];
  for (let i = 0; i < count; i += 1) {
    const userId = unique('u');
    const phone = uniquePhone();
    users.push({ userId, phone, factorId: await activeFactor(base, userId, 'sms', phone, app) });
  }
  return users;
};

/** `count` challenges sent (200), taking the users in turn, a transaction each. */
const challengeEach = async (
  users: readonly { userId: string; factorId: string }[],
  app: string,
  count: number,
) => {
  for (let i = 0; i < count; i += 1) {
    const user = users[i % users.length] as (typeof users)[number];
    const started = await json(await postJson(base, '/v1/authn', { userId: user.userId }, app));
    expect((await challenge(base, started.stateToken, user.factorId, app)).status).toBe(200);
  }
};

describe('destination counters are per app', () => {
  it("another app's codes to a number neither block this app's codes nor show in its own limit", async () => {
    const appA = await registerClient(unique('app-a'), 'secret-a-123');
    const appB = await registerClient(unique('app-b'), 'secret-b-123');
    const phone = uniquePhone();
    const userA = unique('user-a');
    const enrolledA = await enroll(base, userA, { type: 'sms', phoneNumber: phone }, appA);
    const factorA = (await json(enrolledA)).factor.id;
    const activated = await postJson(
      base,
      `/v1/users/${userA}/factors/${factorA}/activate`,
      { passCode: await lastCode(base, phone) },
      appA,
    );
    expect(activated.status).toBe(200);

    // App B sends its full 10 codes to the same number (other users of its own)...
    for (let i = 0; i < 10; i += 1) {
      expect(
        (await enroll(base, unique('user-b'), { type: 'sms', phoneNumber: phone }, appB)).status,
      ).toBe(201);
    }
    // ...and is refused at its 11th, whatever app A sent there.
    const refused = await enroll(base, unique('user-b'), { type: 'sms', phoneNumber: phone }, appB);
    await expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // App A's payment challenge to that number still goes out.
    const started = await json(
      await postJson(
        base,
        '/v1/authn',
        { userId: userA, transaction: { amount: '10.00', currency: 'EUR', payee: 'ACME Ltd' } },
        appA,
      ),
    );
    const sent = await challenge(base, started.stateToken, factorA, appA);
    expect(sent.status).toBe(200);
  });

  it("enrollments of a user's number by others (activation codes) never block that user's challenges", async () => {
    const phone = uniquePhone();
    const owner = unique('owner');
    const factorId = await activeFactor(base, owner, 'sms', phone);
    // Anyone can enroll someone else's number: 9 more activation codes reach the limit...
    for (let i = 0; i < 9; i += 1) {
      const sent = await enroll(base, unique('other'), { type: 'sms', phoneNumber: phone });
      expect(sent.status).toBe(201);
    }
    await expectProblem(
      await enroll(base, unique('other'), { type: 'sms', phoneNumber: phone }),
      429,
      'rate_limited',
    );
    // ...and the owner's challenges to the number they proved still go out (counted apart).
    const started = await startAuthn(base, { userId: owner });
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
  });

  it('one mailbox is one destination however it is spelt: +tags, and dots at Gmail', async () => {
    const name = unique('box');
    for (const [domain, spell] of [
      ['example.com', (i: number) => `${name}+${i}@example.com`],
      ['gmail.com', (i: number) => `${[...name].join(i % 2 ? '.' : '')}+${i}@googlemail.com`],
    ] as const) {
      for (let i = 0; i < 10; i += 1) {
        const sent = await enroll(base, unique('u'), { type: 'email', email: spell(i) });
        expect(sent.status).toBe(201);
      }
      await expectProblem(
        await enroll(base, unique('u'), { type: 'email', email: `${name}@${domain}` }),
        429,
        'rate_limited',
      );
    }
    // Another mailbox of the same domain is not counted with it.
    expect(
      (await enroll(base, unique('u'), { type: 'email', email: `${name}x@example.com` })).status,
    ).toBe(201);
  });
});

describe(`the app's SMS budget (SMS_PER_APP_PER_HOUR=${BUDGET})`, () => {
  it('over budget: 429 rate_limited with Retry-After, no SMS, an audit event and a log line; email and other apps unaffected', async () => {
    const spender = unique('spender');
    const app = await registerClient(spender, 'secret-spender');
    // Activation codes take at most half of the budget...
    const users = await activeUsers(app, BUDGET / 2);
    const phone = uniquePhone();
    const over = await enroll(base, unique('u'), { type: 'sms', phoneNumber: phone }, app);
    const problem = await expectProblem(over, 429, 'rate_limited');
    expect(problem.detail).toContain('SMS budget');
    // ...the other half is for challenges: the users' codes still go out, up to the budget.
    await challengeEach(users, app, BUDGET / 2);
    const payer = users[0] as (typeof users)[number];
    const refusedChallenge = await challenge(
      base,
      (await json(await postJson(base, '/v1/authn', { userId: payer.userId }, app))).stateToken,
      payer.factorId,
      app,
    );
    expect((await expectProblem(refusedChallenge, 429, 'rate_limited')).detail).toContain(
      'SMS budget',
    );
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await outboxTo(phone)).toEqual([]);

    const events = runtime.events
      .list({ type: 'mfa.sms.budget_exceeded' })
      .filter((event) => event.detail.clientId === spender);
    expect(events.map((event) => event.detail.limit)).toEqual([BUDGET / 2, BUDGET]);
    expect(JSON.stringify(events)).not.toContain(phone);
    expect(
      runtime.logs.some((line) => {
        const entry = JSON.parse(line);
        return entry.message === 'sms budget exceeded' && entry.clientId === spender;
      }),
    ).toBe(true);

    // Email is not SMS; another app keeps its own budget.
    expect(
      (await enroll(base, unique('u'), { type: 'email', email: `${unique('m')}@example.com` }, app))
        .status,
    ).toBe(201);
    expect(
      (await enroll(base, unique('u'), { type: 'sms', phoneNumber: uniquePhone() }, basicAuth()))
        .status,
    ).toBe(201);

    // The next clock hour brings a fresh budget.
    clock.advance(retryAfter);
    expect((await enroll(base, unique('u'), { type: 'sms', phoneNumber: phone }, app)).status).toBe(
      201,
    );
  });

  it('a challenge over budget consumes no send, cooldown or code of the transaction', async () => {
    const spender = unique('challenger');
    const app = await registerClient(spender, 'secret-challenger');
    // The budget goes on activations (half of it), then on other users' challenges.
    const [payer, ...others] = await activeUsers(app, BUDGET / 2);
    if (!payer) throw new Error('no payer');
    const { userId, phone } = payer;
    await challengeEach(others, app, BUDGET / 2);
    const started = await json(await postJson(base, '/v1/authn', { userId }, app));
    const before = (await outboxTo(phone)).length;
    for (let i = 0; i < 4; i += 1) {
      await expectProblem(
        await challenge(base, started.stateToken, payer.factorId, app),
        429,
        'rate_limited',
      );
    }
    expect((await outboxTo(phone)).length).toBe(before);
    const view = await deps().transactions.get({
      clientId: spender,
      userRef: userRef(userId),
      stateTokenHash: hashStateToken(started.stateToken),
    });
    expect(view?.txn.status).toBe('MFA_REQUIRED');
    expect(view?.txn.sends ?? 0).toBe(0);
    expect(view?.txn.lastSentAt).toBeUndefined();
    expect(view?.txn.codeMac).toBeUndefined();
  });
});

describe(`the app's activation emails (EMAIL_ACTIVATIONS_PER_APP_PER_HOUR=${EMAIL_ACTIVATIONS})`, () => {
  it('over them: 429 rate_limited, nothing sent, a log line; challenges to proven addresses and other apps unaffected', async () => {
    const sprayer = unique('sprayer');
    const app = await registerClient(sprayer, 'secret-sprayer');
    const owner = unique('owner');
    const ownerMail = `${unique('proven')}@example.com`;
    const factorId = await activeFactor(base, owner, 'email', ownerMail, app);
    // Addresses nobody has proven, each once: no per-address limit is reached.
    for (let i = 1; i < EMAIL_ACTIVATIONS; i += 1) {
      const sent = await enroll(
        base,
        unique('u'),
        { type: 'email', email: `${unique('x')}@example.com` },
        app,
      );
      expect(sent.status).toBe(201);
    }
    const address = `${unique('x')}@example.com`;
    const over = await enroll(base, unique('u'), { type: 'email', email: address }, app);
    expect((await expectProblem(over, 429, 'rate_limited')).detail).toContain('activation emails');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await outboxTo(address)).toEqual([]);
    expect(
      runtime.logs.some((line) => {
        const entry = JSON.parse(line);
        return entry.message === 'email activation budget exceeded' && entry.clientId === sprayer;
      }),
    ).toBe(true);
    // A challenge goes to an address its user proved: not counted.
    const started = await json(await postJson(base, '/v1/authn', { userId: owner }, app));
    expect((await challenge(base, started.stateToken, factorId, app)).status).toBe(200);
    // Another app keeps its own.
    expect((await enroll(base, unique('u'), { type: 'email', email: address })).status).toBe(201);
  });
});

describe('with the budget', () => {
  it('an SMS flow costs 7 DynamoDB requests (the budget counter is the 7th)', async () => {
    const userId = unique('cost');
    const phone = uniquePhone();
    const factorId = await activeFactor(base, userId, 'sms', phone);
    const before = Object.values(runtime.stats.dynamodbRequests).reduce((a, b) => a + b, 0);
    const started = await startAuthn(base, { userId });
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);
    const verified = await verify(base, started.stateToken, factorId, await lastCode(base, phone));
    expect(verified.status).toBe(200);
    const after = Object.values(runtime.stats.dynamodbRequests).reduce((a, b) => a + b, 0);
    expect(after - before).toBe(7);
  });
});
