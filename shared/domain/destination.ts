import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile';
import { MfaError } from '../errors.js';

/**
 * Mobile metadata: only numbers that can receive an SMS are valid, so landlines, premium-rate,
 * shared-cost, VoIP and pager numbers are refused as invalid (and the bundle is smaller).
 */

/**
 * Ofcom's range for fiction and examples (07700 900000–900999, used in the API docs): never
 * a real subscriber, yet not in libphonenumber's data. Accepted as a GB mobile number.
 */
const UK_DRAMA_MOBILE = /^\+447700900\d{3}$/;

/**
 * Validates a phone number given in E.164 (`+` and country code) and returns it normalised.
 * 400 `invalid_phone_number` for anything else; 400 `country_not_allowed` outside the list.
 */
export const normalisePhone = (input: string, allowedCountries: readonly string[]): string => {
  const compact = input.replace(/[\s()-]/g, '');
  if (!/^\+[1-9]\d{6,14}$/.test(compact)) {
    throw new MfaError(
      'invalid_phone_number',
      'Phone numbers must be in E.164 format, e.g. +447700900123',
    );
  }
  if (UK_DRAMA_MOBILE.test(compact)) {
    if (!allowedCountries.includes('GB'))
      throw new MfaError('country_not_allowed', 'SMS to this country is not enabled');
    return compact;
  }
  const phone = parsePhoneNumberFromString(compact);
  if (!phone?.isValid()) throw new MfaError('invalid_phone_number', 'Not a valid phone number');
  if (!phone.country || !allowedCountries.includes(phone.country)) {
    throw new MfaError('country_not_allowed', 'SMS to this country is not enabled');
  }
  return phone.number;
};

// Deliberately plain: one @, a dotted domain with a 2+ letter TLD, no spaces or quotes.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{4,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/**
 * Validates an email address and returns it lower-cased: mail systems treat the local part
 * case-insensitively in practice, and duplicate checks and rate limits must too.
 */
export const normaliseEmail = (input: string): string => {
  const email = input.trim();
  if (email.length > 254 || !EMAIL.test(email) || email.includes('..')) {
    throw new MfaError('invalid_email', 'Not a valid email address');
  }
  return email.toLowerCase();
};

/** Mail providers that ignore dots in the local part, and the domain they answer for. */
const DOTLESS = new Map([
  ['gmail.com', 'gmail.com'],
  ['googlemail.com', 'gmail.com'],
]);

/**
 * The form of a (normalised) destination that send limits count, so that the spellings of one
 * mailbox known here count once: an email loses its `+tag` (RFC 5233 subaddress), and at
 * Gmail its dots; counting two real addresses as one only ever refuses sooner. Other
 * providers' aliases count as the addresses they are (the app's cap on activation emails
 * bounds them). A phone number is already one form (E.164).
 */
export const rateKeyForm = (channel: 'sms' | 'email', destination: string): string => {
  if (channel !== 'email') return destination;
  const at = destination.lastIndexOf('@');
  const domain = destination.slice(at + 1);
  const whole = destination.slice(0, at);
  const local = whole.split('+')[0] || whole;
  const dotless = DOTLESS.get(domain);
  return dotless ? `${local.replaceAll('.', '')}@${dotless}` : `${local}@${domain}`;
};

/** `+447700900123` → `+44*******123`: the first three and last three characters stay. */
export const maskPhone = (phone: string): string =>
  `${phone.slice(0, 3)}${'*'.repeat(Math.max(phone.length - 6, 0))}${phone.slice(-3)}`;

/** `john@example.com` → `j***@example.com`. */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***${email.slice(at)}`;
};
