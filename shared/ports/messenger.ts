/** Port: delivers a message with a code. SNS (SMS) and SES (email) on AWS and locally. */
export interface Messenger {
  sendSms(phoneNumber: string, text: string): Promise<void>;
  sendEmail(address: string, subject: string, text: string): Promise<void>;
}
