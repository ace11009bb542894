import { afterAll, beforeAll, describe } from 'vitest';
import type { StepUpGuard, StoredFactor } from '../../shared/domain/entities.js';
import { keys } from '../../shared/table.js';
import {
  activation,
  CLIENT,
  contract,
  factor,
  NO_AUDIT,
  NOW,
  seed,
  startDynamoStores,
  type Trace,
} from '../support/store-contract.js';

/**
 * The factor store and rate limiter contract (transactions: store-contract.test.ts): the
 * DynamoDB adapters on the embedded dynalite and the in-memory adapter give the same results,
 * refusals (with the item they saw) and items.
 */
let dynamo: Awaited<ReturnType<typeof startDynamoStores>>;
beforeAll(async () => {
  dynamo = await startDynamoStores();
});
afterAll(async () => {
  await dynamo?.close();
});
const scenario = contract(() => dynamo.stores);

const add = (t: Trace, f: StoredFactor, maxFactors = 5, guard?: StepUpGuard, activeCount = 0) =>
  t.stores.factors.add(CLIENT, t.userId, f, {
    maxFactors,
    activeCount,
    ...(guard ? { guard } : {}),
    audit: NO_AUDIT,
  });
const token = (jti: string, factorId: string, prune: string[] = []): StepUpGuard => ({
  kind: 'token',
  jti,
  use: { factorId, until: NOW + 400 },
  prune,
});
const NONE_ACTIVE: StepUpGuard = { kind: 'no_active_factor' };
const pending = (id: string, over: Partial<StoredFactor> = {}) =>
  factor(id, { status: 'PENDING_ACTIVATION', activation: activation(), ...over });
const reserveActivation = (t: Trace, factorId: string, nowSeconds: number) =>
  t.stores.factors.reserveActivationAttempt(CLIENT, t.userId, factorId, {
    nowSeconds,
    maxAttempts: 2,
  });

describe('store contract: factors (DynamoDB adapter = in-memory adapter)', () => {
  scenario(
    'add: the factor cap and a destination taken',
    'ok refused ok refused refused',
    async (t) => {
      await t.step(add(t, pending('f1'), 2));
      await t.step(add(t, pending('f2', { destinationHash: 'hash-f1' }))); // destination taken
      await t.step(add(t, pending('f2'), 2));
      const totp = { destination: undefined, destinationHash: undefined };
      await t.step(add(t, pending('f3', { type: 'totp', ...totp }), 2)); // cap
      await t.step(add(t, pending('f1'), 5)); // its own destination
    },
  );

  scenario(
    'add and activate: the step-up guards (no active factor yet; a token for one factor only)',
    'ok ok refused ok refused ok refused ok ok',
    async (t) => {
      const activate = (id: string) =>
        t.stores.factors.activate(
          CLIENT,
          t.userId,
          id,
          { codeMac: 'a1' },
          { nowSeconds: NOW, audit: NO_AUDIT },
        );
      await t.step(add(t, pending('f1'), 5, NONE_ACTIVE));
      await t.step(activate('f1')); // activeCount 1
      await t.step(add(t, pending('f2'), 5, NONE_ACTIVE)); // there is an active factor now
      await t.step(add(t, pending('f2'), 5, token('j1', 'f2')));
      await t.step(add(t, pending('f3'), 5, token('j1', 'f3'))); // j1 was spent on f2
      await t.step(
        t.stores.factors.renewActivation(CLIENT, t.userId, 'f2', activation({ codeMac: 'a2' }), {
          sentBefore: NOW,
          guard: token('j1', 'f2', ['j0', 'j1']), // pruning its own jti is skipped
        }),
      );
      const activateF2 = (guard: StepUpGuard) =>
        t.stores.factors.activate(
          CLIENT,
          t.userId,
          'f2',
          { codeMac: 'a2' },
          {
            nowSeconds: NOW,
            guard,
            audit: NO_AUDIT,
          },
        );
      await t.step(activateF2(NONE_ACTIVE)); // f1 is active
      await t.step(activateF2(token('j1', 'f2')));
      await t.step(add(t, pending('f3'), 5, token('j2', 'f3', ['j1']))); // j1 pruned
    },
  );

  scenario(
    'renewActivation, reserveActivationAttempt and activate',
    'refused ok ok ok refused refused ok refused refused refused ok refused',
    async (t) => {
      const totp = { type: 'totp', destination: undefined, destinationHash: undefined } as const;
      await seed(t, [
        pending('f1'),
        pending('f2', { ...totp, activation: { expiresAt: NOW + 900, attempts: 0 } }),
      ]);
      const renew = (sentBefore: number) =>
        t.stores.factors.renewActivation(
          CLIENT,
          t.userId,
          'f1',
          activation({ codeMac: 'a2', expiresAt: NOW + 330, lastSentAt: NOW + 30 }),
          { sentBefore },
        );
      const activate = (id: string, proof: { codeMac: string } | { step: number }, now: number) =>
        t.stores.factors.activate(CLIENT, t.userId, id, proof, {
          nowSeconds: now,
          audit: NO_AUDIT,
        });
      await t.step(renew(NOW - 30)); // sent after the cooldown edge
      await t.step(renew(NOW));
      await t.step(reserveActivation(t, 'f1', NOW + 40)); // 1
      await t.step(reserveActivation(t, 'f1', NOW + 40)); // 2
      await t.step(reserveActivation(t, 'f1', NOW + 40)); // at the cap
      await t.step(activate('f1', { codeMac: 'a1' }, NOW + 40)); // replaced code
      await t.step(activate('f1', { codeMac: 'a2' }, NOW + 40));
      await t.step(renew(NOW + 60)); // active now
      await t.step(reserveActivation(t, 'f1', NOW + 60)); // active now
      await t.step(reserveActivation(t, 'f2', NOW + 900)); // expired
      await t.step(activate('f2', { step: 5 }, NOW + 899));
      await t.step(reserveActivation(t, 'f9', NOW)); // no such factor
    },
  );

  scenario(
    'remove: only with the status it was read with; the counters follow',
    'refused ok refused ok refused',
    async (t) => {
      await seed(t, [factor('f1'), pending('f2')]);
      const remove = (f: StoredFactor, guard?: StepUpGuard) =>
        t.stores.factors.remove(CLIENT, t.userId, f, {
          ...(guard ? { guard } : {}),
          audit: NO_AUDIT,
        });
      await t.step(remove({ ...factor('f1'), status: 'PENDING_ACTIVATION' })); // stale read
      await t.step(remove(factor('f1'))); // activeCount and factorCount down
      await t.step(remove(factor('f1'))); // gone
      await t.step(remove(pending('f2'), NONE_ACTIVE));
      await t.step(remove(factor('f3'), token('j1', 'f3'))); // no such factor
    },
  );

  scenario('prepareGuards: creates nothing, changes no counter', '- item - item', async (t) => {
    await t.step(t.stores.factors.prepareGuards(CLIENT, t.userId, 3)); // no user item
    await t.step(t.stores.item(keys.userFactors(CLIENT, t.userId)).then((item) => item ?? 'none'));
    await seed(t, [factor('f1')]);
    await t.step(t.stores.factors.prepareGuards(CLIENT, t.userId, 3)); // if_not_exists
    await t.look();
  });
});

describe('store contract: rate counters (DynamoDB adapter = in-memory adapter)', () => {
  scenario(
    'consume and release at the limit, per window',
    'true true false - true true - - - true',
    async (t) => {
      const key = `dest:${t.userId}`;
      const { rates } = t.stores;
      for (const window of [NOW, NOW + 3600]) t.watch(keys.rate(key, window));
      t.watch(keys.rate(`${key}-none`, NOW));
      await t.step(rates.consume(key, 2, 3600, NOW));
      await t.step(rates.consume(key, 2, 3600, NOW + 10));
      await t.step(rates.consume(key, 2, 3600, NOW + 20)); // at the limit
      await t.step(rates.release(key, 3600, NOW + 30));
      await t.step(rates.consume(key, 2, 3600, NOW + 40));
      await t.step(rates.consume(key, 2, 3600, NOW + 3600)); // the next window
      await t.step(rates.release(key, 3600, NOW + 3601));
      await t.step(rates.release(key, 3600, NOW + 3602)); // at zero: no lower
      await t.step(rates.release(`${key}-none`, 3600, NOW)); // creates nothing
      await t.step(rates.consume(key, 1, 3600, NOW + 3603));
    },
  );
});
