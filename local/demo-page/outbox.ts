import { byId, timeOf } from './dom.js';

/** One message of `GET /_local/outbox` (local/outbox.ts). */
interface OutboxMessage {
  readonly channel: 'sms' | 'email';
  readonly to: string;
  readonly subject?: string;
  readonly body: string;
  readonly sentAt: string;
}

const POLL_MS = 1000;

const itemOf = (message: OutboxMessage): HTMLLIElement => {
  const item = document.createElement('li');
  const meta = document.createElement('p');
  meta.className = 'meta';
  const subject = message.subject ? ` · ${message.subject}` : '';
  meta.textContent = `${message.channel.toUpperCase()} to ${message.to} at ${timeOf(message.sentAt)}${subject}`;
  const body = document.createElement('p');
  body.textContent = message.body;
  item.append(meta, body);
  return item;
};

export interface OutboxPanel {
  /** Shows the messages to this phone number or email address from now on. */
  watch(to: string): void;
}

/**
 * The outbox panel: every second, the messages the local SNS/SES endpoint recorded for the
 * address in its field (`GET /_local/outbox?to=`), newest last. Only new ones are appended,
 * so the live region (`role="log"`) announces each message once.
 */
export const startOutbox = (): OutboxPanel => {
  const field = byId<HTMLInputElement>('outbox-to');
  const list = byId<HTMLOListElement>('outbox');
  let shownFor = '';
  let shown = 0;
  let polling = false;

  const poll = async () => {
    const to = field.value.trim();
    if (polling || !to) return;
    polling = true;
    try {
      const response = await fetch(`/_local/outbox?to=${encodeURIComponent(to)}`, {
        cache: 'no-store',
      });
      if (!response.ok) return;
      const { messages } = (await response.json()) as { messages: OutboxMessage[] };
      if (to !== shownFor || messages.length < shown) {
        list.replaceChildren();
        shownFor = to;
        shown = 0;
      }
      list.append(...messages.slice(shown).map(itemOf));
      shown = messages.length;
      list.lastElementChild?.scrollIntoView({ block: 'nearest' });
    } catch {
      // The service stopped or restarts: the next tick tries again.
    } finally {
      polling = false;
    }
  };

  setInterval(() => void poll(), POLL_MS);
  field.addEventListener('change', () => void poll());
  return {
    watch: (to) => {
      field.value = to;
      void poll();
    },
  };
};
