import { describe, expect, it } from 'vitest';
import { DEFAULT_SMS_COUNTRIES } from '../../shared/config.js';
import {
  maskEmail,
  maskPhone,
  normaliseEmail,
  normalisePhone,
  rateKeyForm,
} from '../../shared/domain/destination.js';
import { factorTypeOf, newFactorId } from '../../shared/domain/factor-id.js';
import { isLocked } from '../../shared/domain/factor-lock.js';
import { challengeText } from '../../shared/domain/messages.js';
import { challengeBinding, macEquals, newOtp, otpMac } from '../../shared/domain/otp.js';
import { base32, totpCandidates, totpCode, totpUri } from '../../shared/domain/totp.js';
import { MfaError } from '../../shared/errors.js';
import type { Random } from '../../shared/ports/random.js';

const fixedRandom = (int: number, byte = 1): Random => ({
  bytes: (n) => Buffer.alloc(n, byte),
  int: () => int,
  uuid: () => '00000000-0000-4000-8000-000000000000',
});
const countries = DEFAULT_SMS_COUNTRIES.split(',');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return (error as MfaError).code;
  }
};

describe('TOTP (RFC 6238)', () => {
  // Appendix B, SHA1, 8 digits, secret "12345678901234567890".
  const secret = new TextEncoder().encode('12345678901234567890');
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('T=%i → %s', (seconds, expected) => {
    expect(totpCode(secret, Math.floor(seconds / 30), 8)).toBe(expected);
  });

  it('checks the current step and one either side, from the injected time', () => {
    const steps = totpCandidates(secret, 1111111111).map((c) => c.step);
    expect(steps).toEqual([37037036, 37037037, 37037038]);
  });

  it('encodes base32 per RFC 4648 and writes a complete Key URI', () => {
    expect(base32(secret)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(totpUri(secret, 'ACME Bank', 'jane@example.com')).toBe(
      'otpauth://totp/ACME%20Bank:jane%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Bank&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('one-time codes', () => {
  it('are zero-padded digits from the random source', () => {
    expect(newOtp(fixedRandom(42), 6)).toBe('000042');
    expect(newOtp(fixedRandom(12345678), 8)).toBe('12345678');
  });

  it('are stored as MACs bound to their purpose and transaction', () => {
    const key = Buffer.alloc(32, 9);
    const mac = otpMac(key, 'challenge', challengeBinding('h1', 'f1'), '123456');
    expect(mac).not.toContain('123456');
    expect(macEquals(mac, otpMac(key, 'challenge', challengeBinding('h1', 'f1'), '123456'))).toBe(
      true,
    );
    expect(macEquals(mac, otpMac(key, 'challenge', challengeBinding('h2', 'f1'), '123456'))).toBe(
      false,
    );
    expect(macEquals(mac, otpMac(key, 'activation', challengeBinding('h1', 'f1'), '123456'))).toBe(
      false,
    );
    expect(
      macEquals(
        mac,
        otpMac(Buffer.alloc(32, 8), 'challenge', challengeBinding('h1', 'f1'), '123456'),
      ),
    ).toBe(false);
    expect(macEquals(mac, mac.slice(1))).toBe(false);
  });
});

describe('phone numbers', () => {
  it.each([
    ['+447700900123', 'ok'],
    ['+44 7700 900123', 'ok'],
    ['+353851234567', 'ok'],
    ['+33612345678', 'ok'],
    ['+12025550123', 'ok'],
    ['+4477', 'invalid_phone_number'], // too short
    ['+44770090ABCD', 'invalid_phone_number'], // letters
    ['07700900123', 'invalid_phone_number'], // national format without +
    ['+449098790000', 'invalid_phone_number'], // premium rate
    ['+33142685300', 'invalid_phone_number'], // a landline: no SMS
    ['+4412345678901234567', 'invalid_phone_number'], // too long
    ['+8613800138000', 'country_not_allowed'], // CN
    ['+79161234567', 'country_not_allowed'], // RU
  ])('%s → %s', (input, expected) => {
    expect(codeOf(() => normalisePhone(input, countries))).toBe(expected);
  });

  it('normalises to E.164 and masks all but the first and last three characters', () => {
    expect(normalisePhone('+44 7700 900123', countries)).toBe('+447700900123');
    expect(maskPhone('+447700900123')).toBe('+44*******123');
  });

  it('honours a narrower allow-list', () => {
    expect(codeOf(() => normalisePhone('+33612345678', ['GB']))).toBe('country_not_allowed');
  });
});

describe('email addresses', () => {
  it.each([
    ['jane@example.com', 'ok'],
    ['j.doe+mfa@sub.example.co.uk', 'ok'],
    ['no-at-sign', 'invalid_email'],
    ['a@b', 'invalid_email'],
    ['a b@example.com', 'invalid_email'],
    ['a..b@example.com', 'invalid_email'],
    [`${'x'.repeat(65)}@example.com`, 'invalid_email'],
  ])('%s → %s', (input, expected) => {
    expect(codeOf(() => normaliseEmail(input))).toBe(expected);
  });

  it('lower-cases the whole address and masks the local part', () => {
    expect(normaliseEmail('Jane@Example.COM')).toBe('jane@example.com');
    expect(maskEmail('john@example.com')).toBe('j***@example.com');
  });

  it('are counted by send limits as one mailbox: no +tag, and no dots at Gmail', () => {
    expect(rateKeyForm('email', 'jane+bank@example.com')).toBe('jane@example.com');
    expect(rateKeyForm('email', 'j.a.n.e@example.com')).toBe('j.a.n.e@example.com');
    expect(rateKeyForm('email', 'j.ane+x+y@googlemail.com')).toBe('jane@gmail.com');
    expect(rateKeyForm('email', '+only@example.com')).toBe('+only@example.com');
    expect(rateKeyForm('sms', '+447700900123')).toBe('+447700900123');
  });
});

describe('factors', () => {
  it('ids carry their type and come from the random source', () => {
    const id = newFactorId('sms', fixedRandom(0, 255));
    expect(id).toBe(`sms_${'_'.repeat(20)}`);
    expect(factorTypeOf(id)).toBe('sms');
    expect(factorTypeOf('totp_AAAAAAAAAAAAAAAAAAAA')).toBe('totp');
    expect(factorTypeOf('fax_AAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(factorTypeOf('sms_short')).toBeUndefined();
  });

  it('a lock holds until its time, against the injected clock', () => {
    expect(isLocked({ lockedUntil: 1000 }, 999)).toBe(true);
    expect(isLocked({ lockedUntil: 1000 }, 1000)).toBe(false);
    expect(isLocked({}, 0)).toBe(false);
  });
});

describe('messages', () => {
  it('name amount, currency and payee when there is a payment (dynamic linking)', () => {
    const text = challengeText('123456', 300, {
      amount: '250.00',
      currency: 'EUR',
      payee: 'ACME Ltd',
    });
    expect(text).toContain('123456');
    expect(text).toContain('250.00 EUR to ACME Ltd');
    expect(text).toContain('5 min');
    expect(challengeText('123456', 300)).not.toContain('payment');
  });
});

it('MfaError carries a stable code and status', () => {
  const error = new MfaError('locked_out');
  expect([error.code, error.status]).toEqual(['locked_out', 403]);
});
