import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgePublisher } from '../adapters/aws/eventbridge-publisher.js';
import { oneClient, type Part, requiredSetting } from '../deps.js';

const client = oneClient(() => new EventBridgeClient({}));

/** Audit events on the service's bus (`events`: PutEvents). */
export const events: Part = {
  name: 'events',
  provides: {
    events: ({ config }) =>
      createEventBridgePublisher(
        client(),
        requiredSetting('EVENT_BUS_NAME', config.EVENT_BUS_NAME),
      ),
  },
};
