/** Port: delivers a message with a code. SNS (SMS) and SES (email) on AWS and locally. */
export interface Messenger {
  sendSms(phoneNumber: string, text: string): Promise<void>;
  sendEmail(address: string, subject: string, text: string): Promise<void>;
}

/** A message with a code, for one channel (an SMS has no subject). */
export interface CodeMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export const deliver = (
  messenger: Messenger,
  channel: 'sms' | 'email',
  message: CodeMessage,
): Promise<void> =>
  channel === 'sms'
    ? messenger.sendSms(message.to, message.text)
    : messenger.sendEmail(message.to, message.subject, message.text);
