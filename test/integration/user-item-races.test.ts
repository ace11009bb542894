import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableResource } from '../../local/template.js';
import { challengeBinding, otpMac } from '../../shared/domain/otp.js';
import { parseStateToken, userRef } from '../../shared/domain/state-token.js';
import type { StartInput, VerifyInput } from '../../shared/flow.js';
import type { TransactionStore } from '../../shared/ports/store.js';
import { startTransaction } from '../../shared/use-cases/authn-start.js';
import { verifyCode } from '../../shared/use-cases/authn-verify.js';
import { deps } from '../support/deps.js';
import {
  activeFactor,
  challenge,
  expectProblem,
  lastCode,
  startAuthn,
  testClock,
  unique,
  verify,
  wrongCode,
} from '../support/flows.js';
import { postJson, startTestRuntime } from '../support/local.js';

const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
let ddb: DynamoDBClient;

beforeAll(async () => {
  // A lock threshold of 2: the first wrong code is the factor's last allowed failure.
  runtime = await startTestRuntime({ clock, env: { FACTOR_LOCK_THRESHOLD: '2' } });
  base = runtime.url;
  ddb = new DynamoDBClient({});
});
afterAll(async () => {
  ddb?.destroy();
  await runtime?.close();
});

const userKey = (userId: string) => ({
  pk: { S: `USER#demo#${userRef(userId)}` },
  sk: { S: 'USER' },
});
const userItem = async (userId: string) => {
  const out = await ddb.send(
    new GetItemCommand({
      TableName: tableResource(runtime.template).name,
      Key: userKey(userId),
      ConsistentRead: true,
    }),
  );
  return unmarshall(out.Item ?? {});
};

/** A user whose email factor is at its last allowed failure (threshold 2), in a live challenge. */
const atLastFailure = async (prefix: string) => {
  const userId = unique(prefix);
  const email = `${userId}@example.com`;
  const factorId = await activeFactor(base, userId, 'email', email);
  const { stateToken } = await startAuthn(base, { userId });
  expect((await challenge(base, stateToken, factorId)).status).toBe(200);
  const code = await lastCode(base, email);
  expect((await verify(base, stateToken, factorId, wrongCode(code))).status).toBe(401);
  return { userId, email, factorId, stateToken: stateToken as string, code };
};

describe('one user item under concurrency', () => {
  it('concurrent starts never leave more than 20 transactions, before or after pruning', async () => {
    const userId = unique('burst');
    await activeFactor(base, userId, 'email', `${userId}@example.com`);
    const burst = async () => {
      const responses = await Promise.all(
        Array.from({ length: 40 }, () => postJson(base, '/v1/authn', { userId })),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
      return statuses.filter((status) => status === 200).length;
    };
    expect(await burst()).toBe(20);
    expect(Object.keys((await userItem(userId)).txns)).toHaveLength(20);

    clock.advance(601); // every one of them is past its retention now
    const accepted = await burst();
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(20);
    const held = Object.keys((await userItem(userId)).txns).length;
    expect(held).toBe(accepted);
  });

  it('the last failure a factor allows locks it at once: a cancel between reserve and complete cannot leave it stuck', async () => {
    const { userId, email, factorId, stateToken, code } = await atLastFailure('race');

    // The real store, with the app's cancel landing right after the locking reservation.
    const real = deps();
    const now = Math.floor(clock.now().getTime() / 1000);
    const transactions: TransactionStore = {
      ...real.transactions,
      reserveAttempt: async (ref, args) => {
        const reserved = await real.transactions.reserveAttempt(ref, args);
        if (reserved.ok && args.lock) await real.transactions.cancel(ref, now, { events: [] });
        return reserved;
      },
    };
    const token = parseStateToken(stateToken);
    if (!token) throw new Error('unparsable state token');
    const input: VerifyInput = {
      operation: 'verify',
      requestId: 'race-request',
      clientId: 'demo',
      factorId,
      ...token,
      passCodeMac: otpMac(
        await real.otpKeys.otpMacKey(),
        'challenge',
        challengeBinding(token.stateTokenHash, factorId),
        code,
      ),
    };
    await expect(
      verifyCode(input, { ...real, transactions, log: real.logger, requestId: input.requestId }),
    ).rejects.toMatchObject({ code: 'invalid_state' });

    const factor = (await userItem(userId)).factors[factorId];
    expect(factor).toMatchObject({ failures: 0, lockOwner: 'race-request' });
    expect(factor.lockedUntil).toBeGreaterThan(now);
    const during = await startAuthn(base, { userId });
    await expectProblem(await challenge(base, during.stateToken, factorId), 403, 'locked_out');

    clock.advance(901);
    const after = await startAuthn(base, { userId });
    expect((await challenge(base, after.stateToken, factorId)).status).toBe(200);
    const fresh = await lastCode(base, email);
    expect((await verify(base, after.stateToken, factorId, fresh)).status).toBe(200);
  });

  it('of concurrent requests at the last allowed failure, exactly one reserves it (and locks)', async () => {
    const { factorId, stateToken, code } = await atLastFailure('last');
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => verify(base, stateToken, factorId, wrongCode(code))),
    );
    const bodies = await Promise.all(responses.map((response) => response.json()));
    const codes = bodies.map((body) => (body as { code: string }).code).sort();
    expect(codes).toEqual(['invalid_passcode', 'locked_out', 'locked_out', 'locked_out']);
    const locks = runtime.events.list({ type: 'mfa.factor.locked' });
    expect(locks.filter((event) => event.detail.factorId === factorId)).toHaveLength(1);
  });

  it('a start that loses the pruning race to another start still gets in, without overshooting', async () => {
    const userId = unique('churn');
    await activeFactor(base, userId, 'email', `${userId}@example.com`);
    const cancelled = await startAuthn(base, { userId });
    await postJson(base, '/v1/authn/cancel', { stateToken: cancelled.stateToken });

    // The real store; a rival start prunes the cancelled entry between our read and our write.
    const real = deps();
    const rival = 'f'.repeat(64);
    let raced = false;
    const transactions: TransactionStore = {
      ...real.transactions,
      create: async (ref, record, args) => {
        if (!raced && args.prune.length > 0) {
          raced = true;
          expect(
            (
              await real.transactions.create({ ...ref, stateTokenHash: rival }, record, {
                ...args,
                // The rival's own start event (each event is unique: its eventId).
                audit: { events: [] },
              })
            ).ok,
          ).toBe(true);
        }
        return real.transactions.create(ref, record, args);
      },
    };
    const mine = 'a'.repeat(64);
    const input: StartInput = {
      operation: 'start',
      requestId: 'victim',
      clientId: 'demo',
      stateTokenHash: mine,
      userId,
    };
    const outcome = await startTransaction(input, {
      ...real,
      transactions,
      log: real.logger,
      requestId: 'victim',
    });
    expect(raced).toBe(true);
    expect(outcome).toMatchObject({ ok: true, body: { status: 'MFA_REQUIRED' } });
    expect(Object.keys((await userItem(userId)).txns).sort()).toEqual([mine, rival]);
  });

  it('a factor left above the last allowed failure (threshold lowered) locks on its next failure, and the lock ends', async () => {
    const { userId, email, factorId, stateToken, code } = await atLastFailure('lowered');
    // As if the threshold had been 10 and is now 2: 7 failures, no lock.
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableResource(runtime.template).name,
        Key: userKey(userId),
        UpdateExpression: 'SET factors.#f.failures = :seven',
        ExpressionAttributeNames: { '#f': factorId },
        ExpressionAttributeValues: { ':seven': { N: '7' } },
      }),
    );
    await expectProblem(
      await verify(base, stateToken, factorId, wrongCode(code)),
      401,
      'invalid_passcode',
    );
    const factor = (await userItem(userId)).factors[factorId];
    expect(factor.failures).toBe(0);
    expect(factor.lockedUntil).toBeGreaterThan(Math.floor(clock.now().getTime() / 1000));
    clock.advance(901);
    const after = await startAuthn(base, { userId });
    expect((await challenge(base, after.stateToken, factorId)).status).toBe(200);
    expect(
      (await verify(base, after.stateToken, factorId, await lastCode(base, email))).status,
    ).toBe(200);
  });

  it('a user item of an older version (no transactions map) still starts transactions', async () => {
    const userId = unique('legacy');
    await activeFactor(base, userId, 'email', `${userId}@example.com`);
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableResource(runtime.template).name,
        Key: userKey(userId),
        UpdateExpression: 'REMOVE txns',
      }),
    );
    expect((await userItem(userId)).txns).toBeUndefined();
    const started = await startAuthn(base, { userId });
    expect(started.status).toBe('MFA_REQUIRED');
    expect(Object.keys((await userItem(userId)).txns)).toHaveLength(1);
  });
});
