import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type EventLog, handlePutEvents } from './event-log.js';
import type { HopLog } from './hops.js';
import { listenOnLoopback } from './loopback.js';
import { onBody } from './request-body.js';

export interface OutboxMessage {
  readonly channel: 'sms' | 'email';
  readonly to: string;
  readonly subject?: string;
  readonly body: string;
  readonly sentAt: string;
}

const MAX_MESSAGES = 1000;
const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * How a send fails (tests of `delivery_failed`): `outage`, the provider's internal failure
 * (worth retrying), or `rejected`, a refusal of this message (SNS `InvalidParameter`, SES
 * `MessageRejected`: never worth retrying).
 */
export type DeliveryFailure = 'outage' | 'rejected';

/** Messages "sent" by the local runtime, newest last; the oldest fall off past 1,000. */
export class Outbox {
  readonly #messages: OutboxMessage[] = [];
  readonly #failing = new Map<string, DeliveryFailure>();
  readonly #refused = new Map<string, number>();

  /** Makes every send to `to` fail (`false`: succeed again). */
  failDeliveriesTo(to: string, failing: boolean | DeliveryFailure = true): void {
    if (failing) this.#failing.set(to, failing === true ? 'outage' : failing);
    else this.#failing.delete(to);
  }

  /** How a send to `to` fails now, if it does; each such send is counted (`refusedSends`). */
  refuses(to: string): DeliveryFailure | undefined {
    const failure = this.#failing.get(to);
    if (failure) this.#refused.set(to, (this.#refused.get(to) ?? 0) + 1);
    return failure;
  }

  /** Sends to `to` refused so far: every attempt counts, retries included. */
  refusedSends(to: string): number {
    return this.#refused.get(to) ?? 0;
  }

  add(message: OutboxMessage): void {
    this.#messages.push(message);
    if (this.#messages.length > MAX_MESSAGES) this.#messages.shift();
  }

  list(to?: string): OutboxMessage[] {
    return this.#messages.filter((message) => to === undefined || message.to === to);
  }
}

const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

const queryResponse = (action: string, namespace: string, messageId: string) =>
  `<${action}Response xmlns="${namespace}"><${action}Result><MessageId>${xml(messageId)}</MessageId></${action}Result>` +
  `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;

const queryError = (code: string, message: string, type = 'Sender') =>
  `<ErrorResponse><Error><Type>${type}</Type><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error>` +
  `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`;

type Handled = { status: number; body: string };

const refusal = (failure: DeliveryFailure, action: string | null): Handled =>
  failure === 'outage'
    ? { status: 500, body: queryError('InternalFailure', 'Simulated outage', 'Receiver') }
    : {
        status: 400,
        body: queryError(
          action === 'SendEmail' ? 'MessageRejected' : 'InvalidParameter',
          'Simulated refusal',
        ),
      };

/** Records one AWS Query-protocol call (SNS `Publish`, SES `SendEmail`) in the outbox. */
export const handleQueryAction = (form: URLSearchParams, outbox: Outbox, now: Date): Handled => {
  const action = form.get('Action');
  const messageId = randomUUID();
  const to = form.get('PhoneNumber') ?? form.get('Destination.ToAddresses.member.1');
  const failure = to ? outbox.refuses(to) : undefined;
  if (failure) return refusal(failure, action);
  if (action === 'Publish') {
    const to = form.get('PhoneNumber');
    const body = form.get('Message');
    if (!to || body === null) {
      return {
        status: 400,
        body: queryError('InvalidParameter', 'PhoneNumber and Message are required'),
      };
    }
    outbox.add({ channel: 'sms', to, body, sentAt: now.toISOString() });
    return {
      status: 200,
      body: queryResponse('Publish', 'http://sns.amazonaws.com/doc/2010-03-31/', messageId),
    };
  }
  if (action === 'SendEmail') {
    const to = form.get('Destination.ToAddresses.member.1');
    const subject = form.get('Message.Subject.Data') ?? '';
    const body = form.get('Message.Body.Text.Data') ?? form.get('Message.Body.Html.Data');
    if (!to || !form.get('Source') || body === null) {
      return {
        status: 400,
        body: queryError('InvalidParameterValue', 'Source, destination and body are required'),
      };
    }
    outbox.add({ channel: 'email', to, subject, body, sentAt: now.toISOString() });
    return {
      status: 200,
      body: queryResponse('SendEmail', 'http://ses.amazonaws.com/doc/2010-12-01/', messageId),
    };
  }
  return {
    status: 400,
    body: queryError('InvalidAction', 'Only Publish and SendEmail are served locally'),
  };
};

/**
 * A local endpoint that speaks the SNS and SES Query wire protocol and EventBridge's JSON
 * protocol, so the real `@aws-sdk/client-sns`, `client-ses` and `client-eventbridge` clients
 * deliver into the outbox and the event log.
 */
export const startMessagingEndpoint = async (
  outbox: Outbox,
  bus: { log: EventLog; name: string; hops?: HopLog },
): Promise<{ url: string; server: Server }> => {
  const server = createServer((req, res) => {
    const start = performance.now();
    /** Answers, recording the request as the AWS one it stands for (`hops`). */
    const answer = (
      service: string,
      operation: string,
      status: number,
      type: string,
      body: string,
    ) => {
      res.writeHead(status, { 'content-type': type }).end(body);
      if (bus.hops?.enabled)
        bus.hops.hops.push({ service, operation, start, end: performance.now() });
    };
    onBody(req, MAX_REQUEST_BYTES, (text) => {
      if (req.headers['x-amz-target'] === 'AWSEvents.PutEvents') {
        const { status, body } = handlePutEvents(text, bus.log, bus.name);
        answer('EventBridge', 'PutEvents', status, 'application/x-amz-json-1.1', body);
        return;
      }
      const params = new URLSearchParams(text);
      const { status, body } = handleQueryAction(params, outbox, new Date());
      const action = params.get('Action') ?? 'unknown';
      answer(action === 'Publish' ? 'SNS' : 'SES', action, status, 'text/xml', body);
    });
  });
  return listenOnLoopback(server);
};
