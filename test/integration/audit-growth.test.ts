import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../scripts/audit.js';
import { userRef } from '../../shared/domain/state-token.js';
import { deps } from '../support/deps.js';
import {
  activeFactor,
  challenge,
  expectProblem,
  json,
  startAuthn,
  unique,
} from '../support/flows.js';
import { startTestRuntime } from '../support/local.js';

/**
 * The audit chain's log in the user item stays short whatever an app does: a send refused
 * after its code was stored (and so recorded) is taken back with a write that folds the log
 * into the head (an attacker's loop of refused challenges once grew the item to its 400 KB
 * limit, and every step of that user then failed).
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  // One send per address per hour: the activation code spends it.
  runtime = await startTestRuntime({ env: { SENDS_PER_DESTINATION_PER_HOUR: '1' } });
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

/** As events name the user (`userRef`, the SHA-256 of the id). */
const ref = userRef;

const audit = async (args: string[]) => {
  let stdout = '';
  const code = await runAudit(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => {},
  });
  return { code, stdout };
};

describe('the audit log in the user item', () => {
  it('refused sends do not grow the user item: each take-back folds the log into the head', async () => {
    const userId = unique('growth');
    const factorId = await activeFactor(base, userId, 'email', `${userId}@example.com`);
    // SENDS_PER_DESTINATION_PER_HOUR=1: one transaction's code spends the hour's challenge
    // send to this address...
    const first = await startAuthn(base, { userId });
    expect((await challenge(base, first.stateToken, factorId)).status).toBe(200);
    // ...so each challenge of another is stored, refused and taken back.
    const started = await startAuthn(base, { userId });
    for (let i = 0; i < 25; i += 1) {
      await expectProblem(await challenge(base, started.stateToken, factorId), 429, 'rate_limited');
    }
    const item = await deps().factors.getUser('demo', userId);
    expect(item?.auditLog).toEqual([]);
    const chain = (
      (
        await json(
          await fetch(
            `${base}/_local/events?${new URLSearchParams({ clientId: 'demo', userRef: ref(userId) })}`,
          ),
        )
      ).events as { detail: Record<string, unknown> }[]
    ).map((event) => event.detail);
    expect(chain.filter((d) => d.type === 'mfa.challenge.failed')).toHaveLength(25);
    expect(chain.filter((d) => d.type === 'mfa.challenge.failed').map((d) => d.code)).toEqual(
      Array(25).fill('rate_limited'),
    );
    // The head in the item is the chain's end: --head checks it.
    const head = `${item?.auditSeq}:${item?.auditHash}`;
    const ok = await audit([
      'verify',
      '--app',
      'demo',
      '--user',
      userId,
      '--url',
      base,
      '--head',
      head,
    ]);
    expect(ok.stdout).toMatch(new RegExp(`^ok ${chain.length} events `));
  });

  it('an append sent twice (an SDK retry after a lost answer) is recorded once', async () => {
    const userId = unique('retry');
    await activeFactor(base, userId, 'email', `${userId}@example.com`);
    const user = { clientId: 'demo', userRef: ref(userId) };
    const event = {
      type: 'mfa.sms.budget_exceeded' as const,
      detail: { eventId: 'e-retry', time: 't', requestId: 'r', ...user, limit: 1 },
    };
    const { audits } = deps();
    const first = await audits.record(user, { events: [event] });
    const again = await audits.record(user, { events: [event] });
    expect(again).toEqual(first);
    const item = await deps().factors.getUser('demo', userId);
    expect(item?.auditLog?.filter((entry) => entry.includes('e-retry'))).toHaveLength(1);
  });
});
