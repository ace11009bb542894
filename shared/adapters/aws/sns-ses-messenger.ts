import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Messenger } from '../../ports/messenger.js';

/** SNS attributes of every code SMS: transactional route, and the sender id where allowed. */
export const smsAttributes = (senderId?: string) => ({
  'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
  ...(senderId ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: senderId } } : {}),
});

export const createSnsSesMessenger = (args: {
  sns: SNSClient;
  ses: SESClient;
  emailSender: string;
  smsSenderId?: string;
}): Messenger => ({
  sendSms: async (phoneNumber, text) => {
    await args.sns.send(
      new PublishCommand({
        PhoneNumber: phoneNumber,
        Message: text,
        MessageAttributes: smsAttributes(args.smsSenderId),
      }),
    );
  },
  sendEmail: async (address, subject, text) => {
    await args.ses.send(
      new SendEmailCommand({
        Source: args.emailSender,
        Destination: { ToAddresses: [address] },
        Message: {
          Subject: { Data: subject, Charset: 'UTF-8' },
          Body: { Text: { Data: text, Charset: 'UTF-8' } },
        },
      }),
    );
  },
});
