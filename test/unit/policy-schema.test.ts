import { describe, expect, it } from 'vitest';
import {
  defaultPolicy,
  PolicyError,
  parsePolicy,
  SANCTIONED_JURISDICTIONS,
} from '../../shared/domain/policy/index.js';

const when = (conditions: object, outcome: unknown = 'deny', id = 'a') =>
  // biome-ignore lint/suspicious/noThenProperty: API.md's rule member; a string or object, no thenable
  ({ id, if: conditions, then: outcome });
const doc = (body: object = {}) => ({ version: 1, rules: [], ...body });
const ruled = (conditions: object, extra: object = {}) =>
  doc({ rules: [when(conditions)], ...extra });
const LOW = { currency: 'EUR', maxAmount: '30.00', maxCumulative: '100.00', maxCount: 5 };

const FULL = doc({
  rules: [
    when({ country: { in: ['KP', 'IR'] } }, 'deny', 'sanctioned'),
    when(
      {
        country: { notIn: ['GB'] },
        ip: { inCidr: ['10.0.0.0/8', '2001:db8::/32', '::ffff:192.0.2.0/120', '192.0.2.7'] },
      },
      'exempt',
      'vpn',
    ),
    when(
      { amount: { gte: '250.00', lt: '1000', currency: 'GBP' }, riskScore: { gt: 10, lte: 90 } },
      { require: 'sca' },
      'mid',
    ),
    when({ deviceId: { remembered: true }, consentId: { present: true } }, 'exempt', 'known'),
    when({}, { require: 'mfa' }, 'catch-all'),
  ],
  exemptions: {
    lowValue: LOW,
    trustedBeneficiaries: true,
    recurring: false,
    tra: { maxAmount: '100.00', maxRiskScore: 20, currency: 'EUR' },
    rememberedDevice: true,
  },
  default: { require: 'sca' },
  emailIsPossession: false,
  rememberDevice: { days: 30 },
  consentCheck: { url: 'https://consents.example.com/check' },
});

describe('parsePolicy: valid documents', () => {
  it('accepts a document with every member, and returns it as given', () => {
    expect(parsePolicy(FULL)).toStrictEqual(FULL);
  });

  it('accepts the smallest document: no rules, nothing else', () => {
    expect(parsePolicy({ version: 1, rules: [] })).toStrictEqual({ version: 1, rules: [] });
  });

  it('accepts JSON text', () => {
    expect(parsePolicy(JSON.stringify(FULL))).toStrictEqual(FULL);
  });

  it('accepts its own defaultPolicy, whose first rule denies the sanctioned list', () => {
    const policy = parsePolicy(defaultPolicy());
    expect(policy.rules[0]).toStrictEqual(
      when({ country: { in: [...SANCTIONED_JURISDICTIONS] } }, 'deny', 'sanctioned-jurisdictions'),
    );
    expect(policy.default).toStrictEqual({ require: 'mfa' });
  });

  it('hands out a fresh defaultPolicy each time', () => {
    const first = defaultPolicy();
    first.rules.pop();
    expect(defaultPolicy().rules).toHaveLength(1);
  });
});

const CIDR =
  'must be an IPv4 or IPv6 CIDR with no host bits set, such as "10.0.0.0/8" or "2001:db8::/32"';
const THEN = 'must be "deny", "exempt" or { "require": "mfa" | "sca" }';
const NEEDS_DAYS = 'needs "rememberDevice": { "days": n }';
const NOT_KNOWN = 'is not a known field';

type Bad = [name: string, document: unknown, path: string, problem: string];
/** A refused condition of rule 0: the path is under `rules.0.if.`. */
const cond = (name: string, conditions: object, path: string, problem: string, extra = {}): Bad => [
  name,
  ruled(conditions, extra),
  `rules.0.if.${path}`,
  problem,
];
/** A refused exemptions member: the path is under `exemptions.`. */
const exem = (name: string, exemptions: object, path: string, problem: string): Bad => [
  name,
  doc({ exemptions }),
  `exemptions.${path}`,
  problem,
];
const rule0 = (name: string, rule: object, path: string, problem: string): Bad => [
  name,
  doc({ rules: [rule] }),
  `rules.0.${path}`,
  problem,
];

const bad: Bad[] = [
  ['not JSON', '{"version":1,', '(policy)', 'is not JSON'],
  ['null', null, '(policy)', 'must be an object'],
  ['an array', [], '(policy)', 'must be an object'],
  ['version 2', doc({ version: 2 }), 'version', 'must be 1'],
  ['no rules', { version: 1 }, 'rules', 'must be an array'],
  ['unknown top-level field', doc({ exemption: {} }), 'exemption', NOT_KNOWN],
  [
    'duplicate rule id',
    doc({ rules: [when({}), when({})] }),
    'rules.1.id',
    'duplicates an earlier rule id',
  ],
  rule0('unknown rule member', { ...when({}), priority: 1 }, 'priority', NOT_KNOWN),
  rule0(
    'rule id with a space',
    when({}, 'deny', 'a b'),
    'id',
    'must be 1-64 characters of A-Z a-z 0-9 . _ -',
  ),
  rule0('then "allow"', when({}, 'allow'), 'then', THEN),
  rule0('then require "strong"', when({}, { require: 'strong' }), 'then', THEN),
  rule0('unknown member of then', when({}, { require: 'sca', x: 1 }), 'then.x', NOT_KNOWN),
  cond('unknown condition', { contry: { in: ['KP'] } }, 'contry', NOT_KNOWN),
  cond('CIDR with host bits', { ip: { inCidr: ['10.0.0.1/8'] } }, 'ip.inCidr.0', CIDR),
  cond('IPv6 prefix 129', { ip: { inCidr: ['::/0', '2001:db8::/129'] } }, 'ip.inCidr.1', CIDR),
  cond('CIDR with two prefixes', { ip: { inCidr: ['10.0.0.0/8/8'] } }, 'ip.inCidr.0', CIDR),
  cond('no CIDR', { ip: { inCidr: [] } }, 'ip.inCidr', 'must list at least one CIDR'),
  cond(
    'country in and notIn',
    { country: { in: ['KP'], notIn: ['GB'] } },
    'country',
    'must give exactly one of in, notIn',
  ),
  cond(
    'country lower case',
    { country: { in: ['gb'] } },
    'country.in.0',
    'must be an ISO 3166 alpha-2 code such as "GB"',
  ),
  cond(
    'amount without operator',
    { amount: { currency: 'EUR' } },
    'amount',
    'must give at least one of gt, gte, lt, lte',
  ),
  cond(
    'amount as a number',
    { amount: { gt: 250, currency: 'EUR' } },
    'amount.gt',
    'must be a string',
  ),
  cond(
    'amount, 5 decimals',
    { amount: { lte: '1.00001', currency: 'EUR' } },
    'amount.lte',
    'must be a decimal string such as "250.00" (≤ 4 decimals)',
  ),
  cond(
    'currency lower case',
    { amount: { gt: '1', currency: 'eur' } },
    'amount.currency',
    'must be an upper-case ISO 4217 currency code such as "EUR"',
  ),
  cond('riskScore 101', { riskScore: { gt: 101 } }, 'riskScore.gt', 'must be 0-100'),
  cond('riskScore empty', { riskScore: {} }, 'riskScore', 'must give at least one of gt, lte'),
  cond(
    'remembered false',
    { deviceId: { remembered: false } },
    'deviceId.remembered',
    'must be true',
    { rememberDevice: { days: 1 } },
  ),
  cond('present false', { consentId: { present: false } }, 'consentId.present', 'must be true'),
  cond('deviceId, no rememberDevice', { deviceId: { remembered: true } }, 'deviceId', NEEDS_DAYS),
  exem('unknown exemption', { lowvalue: LOW }, 'lowvalue', NOT_KNOWN),
  exem('unknown lowValue member', { lowValue: { ...LOW, max: 1 } }, 'lowValue.max', NOT_KNOWN),
  exem(
    'rememberedDevice, no rememberDevice',
    { rememberedDevice: true },
    'rememberedDevice',
    NEEDS_DAYS,
  ),
  exem('maxCount 0', { lowValue: { ...LOW, maxCount: 0 } }, 'lowValue.maxCount', 'must be 1-100'),
  exem(
    'maxCount 2.5',
    { lowValue: { ...LOW, maxCount: 2.5 } },
    'lowValue.maxCount',
    'must be an integer',
  ),
  exem(
    'lowValue, no currency',
    { lowValue: { ...LOW, currency: undefined } },
    'lowValue.currency',
    'must be a string',
  ),
  exem(
    'tra maxRiskScore -1',
    { tra: { maxAmount: '1', maxRiskScore: -1 } },
    'tra.maxRiskScore',
    'must be 0-100',
  ),
  exem(
    'trustedBeneficiaries "yes"',
    { trustedBeneficiaries: 'yes' },
    'trustedBeneficiaries',
    'must be true or false',
  ),
  [
    'rememberDevice 0 days',
    doc({ rememberDevice: { days: 0 } }),
    'rememberDevice.days',
    'must be 1-365',
  ],
  [
    'default require none',
    doc({ default: { require: 'none' } }),
    'default.require',
    'must be "mfa" or "sca"',
  ],
  [
    'consentCheck over http',
    doc({ consentCheck: { url: 'http://c.example/check' } }),
    'consentCheck.url',
    'must use https',
  ],
  [
    'consentCheck not a URL',
    doc({ consentCheck: { url: 'c.example/check' } }),
    'consentCheck.url',
    'must be an absolute URL',
  ],
  [
    'consentCheck, credentials',
    doc({ consentCheck: { url: 'https://u:p@c.example' } }),
    'consentCheck.url',
    'must not carry credentials',
  ],
  [
    '101 rules',
    doc({ rules: Array.from({ length: 101 }, (_, i) => when({}, 'deny', `r${i}`)) }),
    'rules',
    'must have at most 100 rules',
  ],
];

describe('parsePolicy: refused documents', () => {
  it.each(bad)('%s → %s', (_name, document, path, problem) => {
    let caught: unknown;
    try {
      parsePolicy(document);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    expect(caught).toMatchObject({
      code: 'invalid_policy',
      path,
      problem,
      message: `${path}: ${problem}`,
    });
  });

  it('never repeats the refused value', () => {
    expect(() => parsePolicy(ruled({ ip: { inCidr: ['203.0.113.99/24'] } }))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('203.0.113.99') }),
    );
  });
});
