import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import type { AuditEvent, EventPublisher } from '../../shared/ports/events.js';
import { auditEvent, publish } from '../../shared/use-cases/audit.js';

const setup = (publisher: EventPublisher) => {
  const lines: string[] = [];
  const log = createLogger({ service: 'test', level: 'info', write: (line) => lines.push(line) });
  const deps = {
    events: publisher,
    log,
    requestId: 'req-1',
    clock: { now: () => new Date('2026-05-01T12:00:00Z') },
    random: { uuid: () => 'evt-1', bytes: (n: number) => Buffer.alloc(n), int: () => 0 },
  };
  return { deps, lines };
};

const about = { clientId: 'app', userRef: 'ref', transactionId: 'txn-1' };

describe('audit events', () => {
  it('are stamped with an id, the time and the request, and published', async () => {
    const published: AuditEvent[] = [];
    const { deps, lines } = setup({ publish: async (event) => void published.push(event) });
    await publish(deps, [
      auditEvent(deps, 'mfa.authn.started', { ...about, status: 'MFA_REQUIRED' }),
    ]);
    expect(published).toEqual([
      {
        type: 'mfa.authn.started',
        detail: {
          eventId: 'evt-1',
          time: '2026-05-01T12:00:00.000Z',
          requestId: 'req-1',
          ...about,
          status: 'MFA_REQUIRED',
        },
      },
    ]);
    expect(lines).toEqual([]);
  });

  it('that EventBridge refuses do not undo the operation: the whole event goes to the error log', async () => {
    const { deps, lines } = setup({
      publish: async () => {
        throw new Error('PutEvents rejected the event: ThrottlingException');
      },
    });
    await expect(
      publish(deps, [
        auditEvent(deps, 'mfa.authn.failed', {
          ...about,
          code: 'invalid_passcode',
          attemptsRemaining: 4,
        }),
      ]),
    ).resolves.toBeUndefined();
    const [line] = lines.map((text) => JSON.parse(text));
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'audit event not delivered',
      event: {
        type: 'mfa.authn.failed',
        detail: { ...about, eventId: 'evt-1', code: 'invalid_passcode', attemptsRemaining: 4 },
      },
    });
    expect(JSON.stringify(line)).toContain('ThrottlingException');
  });
});
