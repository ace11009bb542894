import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../../ports/events.js';

/** The `source` of every event of the service (rules match on it). */
export const EVENT_SOURCE = 'mfa.service';

/** EventBridge `PutEvents` to the service's bus; a rejected entry is an error. */
export const createEventBridgePublisher = (
  client: EventBridgeClient,
  eventBusName: string,
): EventPublisher => ({
  publish: async (event) => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: eventBusName,
            Source: EVENT_SOURCE,
            DetailType: event.type,
            Detail: JSON.stringify(event.detail),
            Time: new Date(event.detail.time),
          },
        ],
      }),
    );
    if (out.FailedEntryCount) {
      throw new Error(`PutEvents rejected the event: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
    }
  },
});
