import { describe, expect, it } from 'vitest';
import {
  addAmounts,
  amountHolds,
  amountUnits,
  cidrContains,
  compareAmounts,
  ipInAnyCidr,
  parseCidr,
  parseIp,
  withinCeiling,
} from '../../shared/domain/policy/index.js';

describe('money: exact decimal amounts', () => {
  it.each([
    ['30.00', '30.01', -1],
    ['30.01', '30.00', 1],
    ['30', '30.00', 0],
    ['30.0001', '30', 1],
    ['0', '0.0000', 0],
    ['0.1', '0.09', 1],
    ['100.00', '99.9999', 1],
    ['999999999999.9999', '999999999999.9998', 1],
    // 0.1 + 0.2 style float traps do not exist here: these are integers of ten-thousandths.
    ['0.3', '0.30', 0],
  ] as const)('compare %s with %s → %i', (a, b, order) => {
    expect(compareAmounts(a, b)).toBe(order);
  });

  it.each([
    ['20.00', '10.5', '30.50'],
    ['0', '0.01', '0.01'],
    ['70.00', '30.00', '100.00'],
    ['0.1', '0.2', '0.3'],
    ['1', '2', '3'],
    ['0.0001', '0.9999', '1.0000'],
    ['999999999999.99', '0.01', '1000000000000.00'],
  ])('%s + %s = %s', (a, b, sum) => {
    expect(addAmounts(a, b)).toBe(sum);
  });

  it.each(['1e3', '-1', '01', '1.23456', '', '1.', '.5', '1,00', '1234567890123'])(
    'refuses %j as an amount (RangeError)',
    (text) => {
      expect(() => amountUnits(text)).toThrow(RangeError);
    },
  );

  it('reads an amount as ten-thousandths', () => {
    expect([amountUnits('30'), amountUnits('30.01'), amountUnits('0.0001')]).toStrictEqual([
      300000n,
      300100n,
      1n,
    ]);
  });

  const eur = (amount: string) => ({ amount, currency: 'EUR' });
  it.each([
    ['gt', '250.00', '250.01', true],
    ['gt', '250.00', '250.00', false],
    ['gte', '250.00', '250.00', true],
    ['gte', '250.00', '249.99', false],
    ['lt', '250.00', '249.99', true],
    ['lt', '250.00', '250', false],
    ['lte', '250.00', '250', true],
    ['lte', '250.00', '250.0001', false],
  ] as const)('%s %s holds for %s: %s', (operator, threshold, amount, holds) => {
    expect(amountHolds(eur(amount), operator, eur(threshold))).toBe(holds);
  });

  it.each(['gt', 'gte', 'lt', 'lte'] as const)(
    '%s: a EUR threshold never matches a GBP amount',
    (operator) => {
      for (const amount of ['0', '250.00', '999999']) {
        expect(amountHolds({ amount, currency: 'GBP' }, operator, eur('250.00'))).toBe(false);
      }
    },
  );

  it('withinCeiling: at the ceiling yes, a cent over or another currency no', () => {
    expect(withinCeiling(eur('30.00'), eur('30'))).toBe(true);
    expect(withinCeiling(eur('30.01'), eur('30'))).toBe(false);
    expect(withinCeiling({ amount: '1', currency: 'USD' }, eur('30'))).toBe(false);
  });
});

describe('cidr: addresses', () => {
  it.each([
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['192.0.2.1', 4, 0xc0000201n],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['1::', 6, 1n << 112n],
    ['2001:DB8::1', 6, 0x20010db8000000000000000000000001n],
    ['2001:db8:0:0:0:0:0:1', 6, 0x20010db8000000000000000000000001n],
    ['1:2:3:4:5:6:7::', 6, 0x00010002000300040005000600070000n],
    ['::ffff:192.0.2.1', 4, 0xc0000201n],
    ['::FFFF:c000:0201', 4, 0xc0000201n],
    ['0:0:0:0:0:ffff:192.0.2.1', 4, 0xc0000201n],
    ['64:ff9b::192.0.2.1', 6, 0x0064ff9b0000000000000000c0000201n],
  ] as const)('%s → IPv%i', (text, family, bits) => {
    expect(parseIp(text)).toStrictEqual({ family, bits });
  });

  it.each([
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    ':::',
    '1::2::3',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    'fe80::1%eth0',
    '[::1]',
    '1.2.3.4::',
    '::ffff:1.2.3.256',
    '',
    ' 1.2.3.4',
  ])('%j is not an address', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('cidr: blocks and membership', () => {
  it.each([
    ['10.0.0.0/8', { family: 4, bits: 0x0a000000n, prefix: 8 }],
    ['0.0.0.0/0', { family: 4, bits: 0n, prefix: 0 }],
    ['192.0.2.7', { family: 4, bits: 0xc0000207n, prefix: 32 }],
    ['2001:db8::/32', { family: 6, bits: 0x20010db8n << 96n, prefix: 32 }],
    ['::/0', { family: 6, bits: 0n, prefix: 0 }],
    ['::1', { family: 6, bits: 1n, prefix: 128 }],
    ['::ffff:10.0.0.0/104', { family: 4, bits: 0x0a000000n, prefix: 8 }],
  ])('parses %s', (text, cidr) => {
    expect(parseCidr(text)).toStrictEqual(cidr);
  });

  it.each([
    '10.0.0.1/8',
    '10.0.0.0/33',
    '10.0.0.0/08',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    'x/8',
    '2001:db8::/129',
    '2001:db8::1/32',
  ])('refuses %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it.each([
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['10.0.0.0/31', '10.0.0.1', true],
    ['10.0.0.0/31', '10.0.0.2', false],
    ['192.0.2.1', '192.0.2.1', true],
    ['192.0.2.1', '192.0.2.2', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '::1', true],
    ['::/0', '203.0.113.9', false],
    ['::/0', '::ffff:203.0.113.9', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
    ['::ffff:10.0.0.0/104', '11.0.0.0', false],
    ['2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db8::/32', '2001:db9::', false],
    ['2001:db8::/32', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['2001:db8::1/128', '2001:DB8:0:0:0:0:0:1', true],
    ['2001:db8::/127', '2001:db8::2', false],
  ] as const)('%s contains %s: %s', (block, address, inside) => {
    const cidr = parseCidr(block);
    const ip = parseIp(address);
    if (cidr === undefined || ip === undefined) throw new Error('fixture does not parse');
    expect(cidrContains(cidr, ip)).toBe(inside);
    expect(ipInAnyCidr(address, [block])).toBe(inside);
  });

  it('ipInAnyCidr: any block of the list; never for a non-address', () => {
    expect(ipInAnyCidr('2001:db8::5', ['10.0.0.0/8', '2001:db8::/64'])).toBe(true);
    expect(ipInAnyCidr('192.168.0.1', ['10.0.0.0/8', '2001:db8::/64'])).toBe(false);
    // The forms apps pass: a port, brackets, a zone, a forwarded-for list (its last entry).
    expect(ipInAnyCidr('10.0.0.1:443', ['10.0.0.0/8'])).toBe(true);
    expect(ipInAnyCidr('[2001:db8::5]:443', ['2001:db8::/64'])).toBe(true);
    expect(ipInAnyCidr('fe80::1%eth0', ['fe80::/10'])).toBe(true);
    expect(ipInAnyCidr('192.168.0.1, 10.0.0.1', ['10.0.0.0/8'])).toBe(true);
    expect(ipInAnyCidr('garbage, 10.0.0.1', ['10.0.0.0/8'])).toBe(true);
    // A hop the client prepends is its own word: it neither matches nor hides the address.
    expect(ipInAnyCidr('10.1.2.3, 203.0.113.9', ['10.0.0.0/8'])).toBe(false);
    expect(ipInAnyCidr('203.0.113.9, 10.1.2.3', ['203.0.113.0/24'])).toBe(false);
    expect(ipInAnyCidr('10.0.0.1, garbage', ['10.0.0.0/8'])).toBe(false);
    expect(ipInAnyCidr('10.0.0.1,', ['10.0.0.0/8'])).toBe(false);
    expect(ipInAnyCidr(' 10.0.0.1 ', ['10.0.0.0/8'])).toBe(true);
    expect(ipInAnyCidr('10.0.0.01', ['10.0.0.0/8'])).toBe(false);
    expect(ipInAnyCidr('unknown', ['0.0.0.0/0', '::/0'])).toBe(false);
  });
});
