import { randomUUID } from 'node:crypto';

export interface LoggedEvent {
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly time: string;
}

const MAX_EVENTS = 5000;

/** Events put on the local bus, newest last; the oldest fall off past 5,000. */
export class EventLog {
  readonly #events: LoggedEvent[] = [];

  add(event: LoggedEvent): void {
    this.#events.push(event);
    if (this.#events.length > MAX_EVENTS) this.#events.shift();
  }

  /**
   * Events, optionally of one transaction (`transactionId`), one kind (`type`), or one user
   * of an app (`clientId`, `userRef`: the audit chain of `npm run audit -- verify`).
   */
  list(
    filter: { transactionId?: string; type?: string; clientId?: string; userRef?: string } = {},
  ): LoggedEvent[] {
    const { type, ...fields } = filter;
    return this.#events.filter(
      (event) =>
        (type === undefined || event.detailType === type) &&
        Object.entries(fields).every(
          ([name, value]) => value === undefined || event.detail[name] === value,
        ),
    );
  }
}

interface PutEventsEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: number | string;
}

/**
 * EventBridge `PutEvents` (JSON 1.1 protocol) onto the one local bus: entries for another bus,
 * or without source, detail type or a JSON object detail, fail the way EventBridge fails them.
 */
export const handlePutEvents = (
  body: string,
  log: EventLog,
  busName: string,
): { status: number; body: string } => {
  let entries: PutEventsEntry[];
  try {
    entries = (JSON.parse(body) as { Entries?: PutEventsEntry[] }).Entries ?? [];
  } catch {
    return {
      status: 400,
      body: JSON.stringify({ __type: 'ValidationException', message: 'Malformed JSON' }),
    };
  }
  const results = entries.map((entry) => {
    if ((entry.EventBusName ?? 'default') !== busName) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Unknown event bus' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail ?? '');
    } catch {
      detail = undefined;
    }
    if (!entry.Source || !entry.DetailType || typeof detail !== 'object' || detail === null) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const id = randomUUID();
    const time =
      typeof entry.Time === 'number'
        ? new Date(entry.Time * 1000)
        : new Date(entry.Time ?? Date.now());
    log.add({
      id,
      source: entry.Source,
      detailType: entry.DetailType,
      detail: detail as Record<string, unknown>,
      time: time.toISOString(),
    });
    return { EventId: id };
  });
  const failed = results.filter((result) => 'ErrorCode' in result).length;
  return { status: 200, body: JSON.stringify({ FailedEntryCount: failed, Entries: results }) };
};
