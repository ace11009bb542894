import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { createSnsSesMessenger } from '../adapters/aws/sns-ses-messenger.js';
import { oneClient, type Part } from '../deps.js';

const sns = oneClient(() => new SNSClient({}));
const ses = oneClient(() => new SESClient({}));

/** Sends codes from a function (`sms`: SNS to a phone number, `email`: SES). */
export const messenger: Part = {
  name: 'messenger',
  provides: {
    messenger: ({ config }) =>
      createSnsSesMessenger({
        sns: sns(),
        ses: ses(),
        emailSender: config.EMAIL_SENDER,
        smsSenderId: config.SMS_SENDER_ID,
      }),
  },
};
