import { describe, expect, it } from 'vitest';
import { handleQueryAction, Outbox } from '../../local/outbox.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('local SNS/SES endpoint', () => {
  it('records an SNS Publish to a phone number', () => {
    const outbox = new Outbox();
    const form = new URLSearchParams({
      Action: 'Publish',
      Version: '2010-03-31',
      PhoneNumber: '+447700900123',
      Message: 'code 123456',
    });
    const result = handleQueryAction(form, outbox, now);
    expect(result.status).toBe(200);
    expect(result.body).toMatch(/<PublishResponse .*<MessageId>[0-9a-f-]{36}<\/MessageId>/);
    expect(outbox.list('+447700900123')).toEqual([
      {
        channel: 'sms',
        to: '+447700900123',
        body: 'code 123456',
        sentAt: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('records an SES SendEmail', () => {
    const outbox = new Outbox();
    const form = new URLSearchParams({
      Action: 'SendEmail',
      Source: 'mfa@example.com',
      'Destination.ToAddresses.member.1': 'a@b.example',
      'Message.Subject.Data': 'Your code',
      'Message.Body.Text.Data': 'code 654321',
    });
    expect(handleQueryAction(form, outbox, now).status).toBe(200);
    expect(outbox.list('a@b.example')[0]).toMatchObject({
      channel: 'email',
      subject: 'Your code',
      body: 'code 654321',
    });
    expect(outbox.list('other@b.example')).toEqual([]);
  });

  it('refuses unknown actions and incomplete calls without recording', () => {
    const outbox = new Outbox();
    expect(
      handleQueryAction(new URLSearchParams({ Action: 'DeleteTopic' }), outbox, now).body,
    ).toContain('InvalidAction');
    expect(
      handleQueryAction(new URLSearchParams({ Action: 'Publish', Message: 'x' }), outbox, now)
        .status,
    ).toBe(400);
    expect(outbox.list()).toEqual([]);
  });

  it('keeps the newest 1,000 messages, newest last', () => {
    const outbox = new Outbox();
    for (let i = 0; i < 1005; i += 1)
      outbox.add({ channel: 'sms', to: '+1', body: String(i), sentAt: '' });
    const all = outbox.list();
    expect(all).toHaveLength(1000);
    expect(all[0]?.body).toBe('5');
    expect(all.at(-1)?.body).toBe('1004');
  });
});
