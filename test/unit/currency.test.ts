import { describe, expect, it } from 'vitest';
import {
  CURRENCY_CODES,
  fitsMinorUnit,
  isCurrencyCode,
  minorUnit,
} from '../../shared/domain/currency.js';

describe('ISO 4217 codes', () => {
  it.each([
    ['EUR', 2],
    ['USD', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['ISK', 0],
    ['XOF', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['TND', 3],
    ['CLF', 4],
    ['UYW', 4],
    ['XCG', 2],
    ['ZWG', 2],
    ['SLE', 2],
  ])('%s is listed with minor unit %i', (code, digits) => {
    expect(isCurrencyCode(code)).toBe(true);
    expect(minorUnit(code)).toBe(digits);
  });

  it.each([
    ['BTC', 'not ISO 4217'],
    ['eur', 'lower case'],
    ['Eur', 'mixed case'],
    ['EURO', 'four letters'],
    ['', 'empty'],
    ['XAU', 'gold: minor unit N.A.'],
    ['XDR', 'SDR: minor unit N.A.'],
    ['XTS', 'testing code'],
    ['XXX', 'no currency'],
    ['HRK', 'withdrawn: Croatia uses EUR'],
    ['BGN', 'withdrawn: Bulgaria uses EUR since 2026-01-01'],
    ['SLL', 'withdrawn: replaced by SLE'],
    ['ZWL', 'withdrawn: replaced by ZWG'],
    ['ANG', 'withdrawn: replaced by XCG'],
    ['constructor', 'an Object.prototype member'],
  ])('%s is refused (%s)', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(minorUnit(code)).toBeUndefined();
  });

  it('every listed code is three upper-case letters with a minor unit of 0, 2, 3 or 4', () => {
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
    for (const code of CURRENCY_CODES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(minorUnit(code));
    }
  });
});

describe('amount decimals against the minor unit', () => {
  it.each([
    ['100', 'JPY', true],
    ['100.5', 'JPY', false],
    ['100.0', 'JPY', false],
    ['0', 'JPY', true],
    ['250', 'EUR', true],
    ['250.5', 'EUR', true],
    ['250.00', 'EUR', true],
    ['1.234', 'EUR', false],
    ['1.2340', 'EUR', false],
    ['1.234', 'BHD', true],
    ['1.2345', 'BHD', false],
    ['1.2345', 'CLF', true],
    ['1.23456', 'CLF', false],
    ['100', 'BTC', false],
  ])('%s %s → %s', (amount, currency, fits) => {
    expect(fitsMinorUnit(amount, currency)).toBe(fits);
  });
});
