import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userRef } from '../../shared/domain/state-token.js';
import { WHEN } from '../support/memory-conditions.js';
import { memoryStores } from '../support/memory-user-store.js';
import {
  audited,
  CLIENT,
  contract,
  factor,
  NO_AUDIT,
  NOW,
  record,
  seed,
  startDynamoStores,
  type Trace,
} from '../support/store-contract.js';

/**
 * The transaction store contract: each scenario runs on the DynamoDB adapter (embedded
 * dynalite) and on the in-memory adapter of the use-case unit tests; both must refuse and
 * accept the same writes, return the same values (the item a refusal saw included) and leave
 * the same item. The factor and rate stores: store-contract-factors.test.ts.
 */
let dynamo: Awaited<ReturnType<typeof startDynamoStores>>;
beforeAll(async () => {
  dynamo = await startDynamoStores();
});
afterAll(async () => {
  await dynamo?.close();
});
const scenario = contract(() => dynamo.stores);

const challenge = (t: Trace, hash: string, factorId: string, now: number, mac = 'm1') =>
  t.stores.transactions.beginChallenge(t.ref(hash), {
    factorId,
    codeMac: mac,
    codeExpiresAt: now + 60,
    nowSeconds: now,
    maxSends: 2,
    cooldownSeconds: 30,
    audit: NO_AUDIT,
  });
const reserve = (
  t: Trace,
  hash: string,
  factorId: string,
  over: Partial<Parameters<Trace['stores']['transactions']['reserveAttempt']>[1]> = {},
) =>
  t.stores.transactions.reserveAttempt(t.ref(hash), {
    factorId,
    nowSeconds: NOW,
    maxAttempts: 10,
    threshold: 10,
    challenge: false,
    ...over,
  });
const complete = (t: Trace, hash: string, factorId: string, owner: string, over = {}) =>
  t.stores.transactions.complete(t.ref(hash), {
    factorId,
    nowSeconds: NOW,
    owner,
    audit: NO_AUDIT,
    ...over,
  });
const lock = (owner: string, seenCount?: number) => ({
  until: NOW + 900,
  owner,
  count: (seenCount ?? 0) + 1,
  ...(seenCount === undefined ? {} : { seenCount }),
});

describe('store contract: transactions (DynamoDB adapter = in-memory adapter)', () => {
  scenario(
    'create: within the cap, pruning entries that must still be there',
    'ok ok refused ok refused refused refused - -',
    async (t) => {
      await seed(t, [factor('f1')]);
      const create = (hash: string, prune: string[], max: number, userId = t.userId) =>
        t.stores.transactions.create(t.ref(hash, userId), record(hash), {
          prune,
          maxTransactions: max,
          audit: NO_AUDIT,
        });
      await t.step(create('h1', [], 2));
      await t.step(create('h2', [], 2));
      await t.step(create('h3', [], 2)); // the cap
      await t.step(create('h3', ['h1'], 2)); // room made by pruning
      await t.step(create('h4', ['h1'], 3)); // h1 is gone: another start pruned it
      await t.step(create('h2', [], 5)); // already there
      const nobody = `${t.userId}-nobody`;
      t.watch({ pk: `USER#${CLIENT}#${t.ref('', nobody).userRef}`, sk: 'USER' });
      await t.step(create('h1', [], 5, nobody)); // no user item: seen undefined
      await t.step(t.stores.transactions.prepare(t.ref('h1', nobody))); // creates nothing
      await t.step(t.stores.transactions.get(t.ref('h1', nobody)));
    },
  );

  scenario(
    'beginChallenge: cooldown, send cap, locked factor, finished, expired, foreign factor',
    'ok refused ok refused refused ok refused ok refused refused refused',
    async (t) => {
      await seed(
        t,
        [
          factor('f1'),
          factor('f2', { type: 'sms', lockedUntil: NOW + 100, lockOwner: 'r0' }),
          factor('f3', { status: 'PENDING_ACTIVATION' }),
        ],
        ['h1', 'h2', 'h3'],
      );
      await t.step(challenge(t, 'h1', 'f1', NOW)); // ALL_OLD: the view before
      await t.step(challenge(t, 'h1', 'f1', NOW + 10)); // cooldown
      await t.step(challenge(t, 'h1', 'f1', NOW + 30)); // cooldown just over
      await t.step(challenge(t, 'h1', 'f1', NOW + 60)); // send cap (2)
      await t.step(challenge(t, 'h2', 'f2', NOW + 99)); // locked
      await t.step(challenge(t, 'h2', 'f2', NOW + 100)); // lock over
      await t.step(challenge(t, 'h3', 'f3', NOW)); // not a factor of the transaction
      await t.step(t.stores.transactions.cancel(t.ref('h3'), NOW, NO_AUDIT));
      await t.step(challenge(t, 'h3', 'f1', NOW)); // finished
      await t.step(challenge(t, 'h2', 'f1', NOW + 300)); // expired
      await t.step(challenge(t, 'h9', 'f1', NOW)); // unknown: seen is the user item
    },
  );

  scenario(
    'reserveAttempt: a live code for the factor, the attempt cap, an expired code',
    'refused ok refused ok ok refused ok ok refused',
    async (t) => {
      await seed(t, [factor('f1'), factor('f2', { type: 'sms' })], ['h1', 'h2']);
      const oob = { challenge: true, maxAttempts: 2 };
      await t.step(reserve(t, 'h1', 'f1', oob)); // no code sent yet
      await t.step(challenge(t, 'h1', 'f1', NOW));
      await t.step(reserve(t, 'h1', 'f2', oob)); // the code is another factor's
      await t.step(reserve(t, 'h1', 'f1', oob));
      await t.step(reserve(t, 'h1', 'f1', oob));
      await t.step(reserve(t, 'h1', 'f1', oob)); // attempt cap
      await t.step(reserve(t, 'h2', 'f1')); // no code needed (TOTP)
      await t.step(challenge(t, 'h2', 'f2', NOW));
      await t.step(reserve(t, 'h2', 'f2', { challenge: true, nowSeconds: NOW + 60 })); // code expired
    },
  );

  scenario(
    'reserveAttempt: the last failure only with the lock, and the lock count as seen',
    'ok ok refused ok refused refused refused refused ok',
    async (t) => {
      const lastThree = { threshold: 3 };
      await seed(
        t,
        [factor('f1'), factor('f2', { failures: 2, lockCount: 1, lockCountUntil: NOW + 5000 })],
        ['h1'],
      );
      await t.step(reserve(t, 'h1', 'f1', lastThree));
      await t.step(reserve(t, 'h1', 'f1', lastThree));
      await t.step(reserve(t, 'h1', 'f1', lastThree)); // the last failure needs the lock
      await t.step(reserve(t, 'h1', 'f1', { ...lastThree, lock: lock('r1') }));
      await t.step(reserve(t, 'h1', 'f1', { ...lastThree, nowSeconds: NOW + 899 })); // locked
      await t.step(reserve(t, 'h1', 'f2', { ...lastThree, lock: lock('r2') })); // count moved
      await t.step(reserve(t, 'h1', 'f2', { ...lastThree, lock: lock('r2', 2) })); // count moved
      await t.step(reserve(t, 'h1', 'f2', { lock: lock('r2', 1) })); // not at the last failure
      await t.step(reserve(t, 'h1', 'f2', { ...lastThree, lock: lock('r2', 1) }));
    },
  );

  scenario(
    'complete: a sent code is good once, a TOTP step only above the last',
    'ok refused ok refused ok refused ok',
    async (t) => {
      const totp = factor('f2', {
        type: 'totp',
        destination: undefined,
        destinationHash: undefined,
      });
      await seed(t, [factor('f1'), totp], ['h1', 'h2', 'h3']);
      await t.step(challenge(t, 'h1', 'f1', NOW, 'm1'));
      await t.step(complete(t, 'h1', 'f1', 'r1', { codeMac: 'm0' }));
      await t.step(complete(t, 'h1', 'f1', 'r1', { codeMac: 'm1' }));
      await t.step(complete(t, 'h1', 'f1', 'r1', { codeMac: 'm1' })); // used
      await t.step(complete(t, 'h2', 'f2', 'r2', { step: 100 }));
      await t.step(complete(t, 'h3', 'f2', 'r3', { step: 100 })); // replay
      await t.step(complete(t, 'h3', 'f2', 'r3', { step: 101 }));
    },
  );

  scenario(
    'complete: a passkey counter only moves forward; an assertion with UV marks the key, one without never unmarks it',
    'ok ok item ok ok item ok refused',
    async (t) => {
      const key = factor('f1', {
        type: 'webauthn',
        destination: undefined,
        destinationHash: undefined,
        signCount: 0,
        userVerified: false,
      });
      await seed(t, [key], ['h1', 'h2', 'h3']);
      const approve = (hash: string, nonce: string, signCount: number, userVerified: boolean) =>
        complete(t, hash, 'f1', `r-${hash}`, {
          codeMac: nonce,
          signed: { signCount, backupState: false, userVerified },
        });
      await t.step(challenge(t, 'h1', 'f1', NOW, 'n1'));
      await t.step(approve('h1', 'n1', 5, true));
      await t.look();
      await t.step(challenge(t, 'h2', 'f1', NOW, 'n2'));
      await t.step(approve('h2', 'n2', 6, false));
      await t.look();
      await t.step(challenge(t, 'h3', 'f1', NOW, 'n3'));
      await t.step(approve('h3', 'n3', 6, true)); // the counter did not move: a clone
    },
  );

  scenario('complete: a recovery code is spent once', 'ok refused ok item ok item', async (t) => {
    await seed(
      t,
      [factor('f1', { type: 'recovery_code', recoveryCodes: { c1: 1, c2: 1, c3: 1 } })],
      ['h1', 'h2', 'h3', 'h4'],
    );
    await t.step(complete(t, 'h1', 'f1', 'r1', { spentCode: 'c1' }));
    await t.step(complete(t, 'h2', 'f1', 'r2', { spentCode: 'c1' })); // spent
    await t.step(complete(t, 'h3', 'f1', 'r3', { spentCode: 'c2' }));
    await t.look();
    // Factor sequencing: the code is spent by the step that leaves the transaction open.
    await t.step(
      complete(t, 'h4', 'f1', 'r4', {
        spentCode: 'c3',
        partial: {
          proven: ['possession'],
          amr: ['otp'],
          stepsBefore: 0,
          verified: [],
          helping: [],
        },
      }),
    );
    await t.look();
  });

  scenario(
    'factor sequencing: after a step, only the factors still helping take a challenge or an attempt',
    'ok ok refused refused ok ok item',
    async (t) => {
      await seed(t, [factor('f1'), factor('f2', { type: 'sms' })], ['h1']);
      await t.step(reserve(t, 'h1', 'f1'));
      const partial = { proven: ['possession'], amr: ['otp'], stepsBefore: 0, verified: [] };
      await t.step(complete(t, 'h1', 'f1', 'r1', { partial: { ...partial, helping: ['f2'] } }));
      await t.step(reserve(t, 'h1', 'f1')); // proves nothing still needed: no attempt taken
      await t.step(challenge(t, 'h1', 'f1', NOW)); // ...and no code sent
      await t.step(reserve(t, 'h1', 'f2'));
      await t.step(challenge(t, 'h1', 'f2', NOW));
      await t.look();
    },
  );

  scenario(
    "complete: another request's lock holds; the owner lifts its own",
    'ok refused refused ok ok ok',
    async (t) => {
      await seed(t, [factor('f1', { failures: 9 }), factor('f2', { failures: 9 })], ['h1', 'h2']);
      await t.step(reserve(t, 'h1', 'f1', { lock: lock('r1') }));
      await t.step(complete(t, 'h2', 'f1', 'r2')); // locked by r1
      await t.step(complete(t, 'h1', 'f1', 'r2', { lifting: true })); // not r2's lock
      await t.step(complete(t, 'h1', 'f1', 'r1', { lifting: true })); // lockCount back to 0
      await t.step(reserve(t, 'h2', 'f2', { lock: lock('r2') }));
      await t.step(complete(t, 'h2', 'f2', 'r2')); // own lock, not lifted: lockCount stays
    },
  );

  scenario(
    'policy state: saved on the revision read (creating the user item), and with a completing verify',
    'ok item refused ok refused refused ok item ok refused item',
    async (t) => {
      const user = { clientId: CLIENT, userId: t.userId };
      const state = (count: number) => ({
        sinceSca: { count, cumulative: { EUR: `${count}.00` } },
      });
      // No user item yet (an exempt payment of a user without factors): one is made.
      await t.step(t.stores.policyStates.save(user, { state: state(1), seenRev: undefined }, {}));
      await t.look();
      await t.step(t.stores.policyStates.save(user, { state: state(9), seenRev: undefined }, {})); // rev 1 now
      await t.step(t.stores.policyStates.save(user, { state: state(2), seenRev: 1 }, {}));
      await t.step(t.stores.policyStates.save(user, { state: state(9), seenRev: 1 }, {})); // stale
      await seed(t, [factor('f1')], ['h1']);
      const withState = (seenRev: number) => ({ policyState: { state: state(0), seenRev } });
      await t.step(complete(t, 'h1', 'f1', 'r1', withState(1))); // stale revision: not completed
      await t.step(complete(t, 'h1', 'f1', 'r1', withState(2)));
      await t.look();
      // A token spent by the write: once only (and an expired entry pruned).
      const spend = (seenRev: number) =>
        t.stores.policyStates.save(
          user,
          { state: state(3), seenRev },
          {
            spend: {
              jti: 'j1',
              use: { factorId: 'trusted-payees', until: NOW + 360 },
              prune: ['j0'],
            },
          },
        );
      await t.step(spend(3));
      await t.step(spend(4)); // the revision is right, the token is spent
      await t.look();
    },
  );

  scenario(
    'cancel and endTransaction: only an open, unexpired transaction',
    'ok ok refused recorded:1 recorded:0 refused refused recorded:0 item',
    async (t) => {
      await seed(t, [factor('f1')], ['h1', 'h2', 'h3']);
      await t.step(challenge(t, 'h1', 'f1', NOW));
      await t.step(t.stores.transactions.cancel(t.ref('h1'), NOW, NO_AUDIT)); // ALL_NEW, code removed
      await t.step(t.stores.transactions.cancel(t.ref('h1'), NOW, NO_AUDIT));
      await t.step(t.stores.transactions.endTransaction(t.ref('h2'), audited('e-1')));
      await t.step(t.stores.transactions.endTransaction(t.ref('h1'), audited('e-2'))); // not open: stays
      await t.step(t.stores.transactions.cancel(t.ref('h2'), NOW, NO_AUDIT)); // LOCKED_OUT
      await t.step(t.stores.transactions.cancel(t.ref('h3'), NOW + 300, NO_AUDIT)); // expired
      await t.step(t.stores.transactions.endTransaction(t.ref('h9'), audited('e-3'))); // unknown
      await t.look();
    },
  );

  scenario(
    'undoChallenge: only while its code is stored; the code before comes back',
    'ok ok - item recorded:1 item recorded:1 item',
    async (t) => {
      await seed(t, [factor('f1'), factor('f2', { type: 'sms' })], ['h1']);
      await t.step(challenge(t, 'h1', 'f1', NOW, 'm1'));
      await t.step(challenge(t, 'h1', 'f2', NOW + 30, 'm2'));
      const second = { status: 'MFA_CHALLENGE', codeMac: 'm1', codeExpiresAt: NOW + 60 } as const;
      const previous = { ...second, challengeFactorId: 'f1', lastSentAt: NOW };
      await t.step(
        t.stores.transactions.undoChallenge(t.ref('h1'), 'm9', previous, audited('e-4')),
      ); // not its code
      await t.look();
      await t.step(
        t.stores.transactions.undoChallenge(t.ref('h1'), 'm2', previous, audited('e-5')),
      );
      await t.look();
      const first = { status: 'MFA_REQUIRED' } as const;
      await t.step(t.stores.transactions.undoChallenge(t.ref('h1'), 'm1', first, audited('e-6')));
      await t.look();
    },
  );
});

describe('the in-memory adapter itself', () => {
  it("names its conditions as the adapter's WHEN fragments, one for one", () => {
    const source = readFileSync('shared/adapters/aws/dynamo-transactions.ts', 'utf8');
    const block = /const WHEN = \{([\s\S]*?)\n\} as const;/.exec(source)?.[1] ?? '';
    const names = [...block.matchAll(/^ {2}(\w+):/gm)].map((match) => match[1]);
    expect(names.length).toBeGreaterThan(5);
    expect(Object.keys(WHEN).sort()).toEqual(names.sort());
  });

  it('hands out copies: what a caller passes or gets is never the stored item', async () => {
    const memory = memoryStores();
    const ref = { clientId: CLIENT, userRef: userRef('u'), stateTokenHash: 'h1' };
    const given = factor('f1');
    await memory.factors.add(CLIENT, 'u', given, {
      maxFactors: 5,
      activeCount: 1,
      audit: NO_AUDIT,
    });
    await memory.transactions.create(ref, record('h1'), {
      prune: [],
      maxTransactions: 5,
      audit: NO_AUDIT,
    });
    const mutable = (value: unknown) => value as { status: string };
    mutable(given).status = 'changed';
    mutable((await memory.factors.getUser(CLIENT, 'u'))?.factors.f1).status = 'changed';
    mutable((await memory.transactions.get(ref))?.txn).status = 'changed';
    const refused = await memory.transactions.create(ref, record('h1'), {
      prune: [],
      maxTransactions: 5,
      audit: NO_AUDIT,
    });
    mutable(refused.ok ? undefined : refused.seen?.txns?.h1).status = 'changed';
    const stored = memory.user(CLIENT, 'u');
    expect([stored?.factors.f1?.status, stored?.txns?.h1?.status]).toEqual([
      'ACTIVE',
      'MFA_REQUIRED',
    ]);
  });
});
