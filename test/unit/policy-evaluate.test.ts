import { describe, expect, it } from 'vitest';
import {
  defaultPolicy,
  deviceRef,
  evaluatePolicy,
  type Policy,
  type PolicyStart,
  type PolicyState,
  parsePolicy,
  scaClaim,
  seriesKey,
} from '../../shared/domain/policy/index.js';
import { DAY_SECONDS as DAY } from '../../shared/domain/time.js';

const NOW = 1_800_000_000;
const when = (id: string, conditions: object, outcome: unknown) =>
  // biome-ignore lint/suspicious/noThenProperty: API.md's rule member; a string or object, no thenable
  ({ id, if: conditions, then: outcome });
const policy = (body: object): Policy => parsePolicy({ version: 1, rules: [], ...body });

// Rules only: IP, amount, risk score, country, consent; a deny placed after an exempt rule.
const RULES = policy({
  rules: [
    when('office', { ip: { inCidr: ['198.51.100.0/24', '2001:db8:abcd::/48'] } }, 'exempt'),
    when('big', { amount: { gt: '1000.00', currency: 'EUR' } }, { require: 'sca' }),
    when('risky', { riskScore: { gt: 80 } }, 'deny'),
    when('abroad', { country: { notIn: ['GB', 'DE', 'FR'] } }, { require: 'sca' }),
    when('consent', { consentId: { present: true } }, { require: 'sca' }),
    when('sanctioned', { country: { in: ['KP'] } }, 'deny'),
  ],
});

// Every exemption on, default sca, a deny and a require rule first.
const EXEMPT = policy({
  rules: [
    when('sanctioned', { country: { in: ['KP'] } }, 'deny'),
    when('huge', { amount: { gte: '5000.00', currency: 'EUR' } }, { require: 'sca' }),
  ],
  exemptions: {
    lowValue: { currency: 'EUR', maxAmount: '30.00', maxCumulative: '100.00', maxCount: 5 },
    trustedBeneficiaries: true,
    recurring: true,
    tra: { maxAmount: '100.00', maxRiskScore: 20 },
    rememberedDevice: true,
  },
  rememberDevice: { days: 30 },
  default: { require: 'sca' },
});

const ACCOUNT = 'GB33BUKB20201555555555';
const DEVICE = deviceRef('device-1');
const pay = (amount: string, currency = 'EUR', extra: object = {}) => ({
  amount,
  currency,
  payee: 'Acme Ltd',
  payeeAccount: ACCOUNT,
  ...extra,
});
/** A start with a payment, and optionally a context. */
const tx = (amount: string, currency = 'EUR', extra: object = {}, context = {}): PolicyStart => ({
  context,
  transaction: pay(amount, currency, extra),
});
const GB = { country: 'GB' };
const ip = (address: string): PolicyStart => ({ context: { ...GB, ip: address } });
const scored = (riskScore: number, amount: string, currency = 'EUR') =>
  tx(amount, currency, { payeeAccount: 'X' }, { riskScore });
const device = (id = 'device-1'): PolicyStart => ({ context: { deviceId: id } });

const since = (count: number, cumulative: Record<string, string>): PolicyState => ({
  sinceSca: { count, cumulative },
});
const SERIES = {
  recurringSeries: {
    [seriesKey(pay('45.00', 'EUR', { recurring: true }))]: { approvedAt: NOW - DAY },
  },
};
const TRUSTED = {
  trustedPayees: { [ACCOUNT]: { payee: 'Acme Ltd', addedAt: '2026-01-01T00:00:00.000Z' } },
};
const seen = (scaAt: number): PolicyState => ({ rememberedDevices: { [DEVICE]: scaAt } });
const OTHER = { payeeAccount: 'X' };
const REC = { recurring: true };

// Expected, compactly: "require <level> [rule]", "exempt <exemption> [rule]", "deny <rule>".
type Case = [
  name: string,
  policy: Policy | undefined,
  start: PolicyStart,
  state: PolicyState,
  expected: string,
];
const r = (name: string, start: PolicyStart, expected: string): Case => [
  name,
  RULES,
  start,
  {},
  expected,
];
const e = (name: string, start: PolicyStart, state: PolicyState, expected: string): Case => [
  name,
  EXEMPT,
  start,
  state,
  expected,
];
const low = (count: number, eur: string) => since(count, { EUR: eur });
const KP = { country: 'KP' };
const US = { country: 'US' };
const OFFICE = '198.51.100.1';
const ctx = (context: object): PolicyStart => ({ context });
const DEV = { deviceId: 'device-1' };
const [SCA, LOW, TRUST, RISK, REMEMBERED] = [
  'require sca',
  'exempt low_value',
  'exempt trusted_beneficiary',
  'exempt transaction_risk_analysis',
  'exempt remembered_device',
];

const cases: Case[] = [
  ['no policy: require mfa', undefined, tx('1.00'), {}, 'require mfa'],
  ['empty policy: require mfa', policy({}), { context: GB }, {}, 'require mfa'],
  ['empty policy, default sca', policy({ default: { require: 'sca' } }), {}, {}, 'require sca'],
  r('IPv4 first of block', ip('198.51.100.0'), 'exempt policy_rule office'),
  r('IPv4 last of block', ip('198.51.100.255'), 'exempt policy_rule office'),
  r('IPv4 just past block', ip('198.51.101.0'), 'require mfa'),
  r('IPv4-mapped IPv6, v4 block', ip('::ffff:198.51.100.7'), 'exempt policy_rule office'),
  r('IPv6 last of /48', ip('2001:db8:abcd:ffff:ffff:ffff:ffff:ffff'), 'exempt policy_rule office'),
  r('IPv6 next /48', ip('2001:db8:abce::'), 'require mfa'),
  r('no ip: no match', { context: GB }, 'require mfa'),
  r('ip with a port: the address counts', ip('198.51.100.7:443'), 'exempt policy_rule office'),
  r('ip with a leading zero: no match (ambiguous)', ip('198.51.100.07'), 'require mfa'),
  r('amount gt: 1000.00 is not above', tx('1000.00', 'EUR', {}, GB), 'require mfa'),
  r('amount gt: 1000.01 is above', tx('1000.01', 'EUR', {}, GB), 'require sca big'),
  r('amount in EUR: GBP never matches', tx('999999.00', 'GBP', {}, GB), 'require mfa'),
  r('riskScore 80: not gt 80', { context: { ...GB, riskScore: 80 } }, 'require mfa'),
  r('riskScore 81: deny', { context: { ...GB, riskScore: 81 } }, 'deny risky'),
  r('deny beats an earlier exempt rule', ctx({ ip: OFFICE, riskScore: 99 }), 'deny risky'),
  r('country notIn: US', ctx(US), 'require sca abroad'),
  r('country notIn: no country, no match', {}, 'require mfa'),
  r('country in: KP, from the office IP', ctx({ ...KP, ip: OFFICE }), 'deny sanctioned'),
  r('consent present', { context: GB, consentId: 'c-1' }, 'require sca consent'),
  r('consent absent', { context: GB }, 'require mfa'),
  r('first match wins: big, not abroad', tx('2000.00', 'EUR', {}, US), 'require sca big'),
  e('low value: €30.00', tx('30.00'), {}, LOW),
  e('low value: €30.01 is not', tx('30.01'), {}, SCA),
  e('low value: the 5th payment', tx('10.00'), low(4, '40.00'), LOW),
  e('low value: the 6th payment is not', tx('10.00'), low(5, '50.00'), SCA),
  e('low value: cumulative €100.00', tx('30.00'), low(2, '70.00'), LOW),
  e('low value: cumulative €100.01 is not', tx('30.00'), low(2, '70.01'), SCA),
  e('low value: GBP is not its currency', tx('1.00', 'GBP'), {}, SCA),
  e('low value: a GBP total is kept apart', tx('30.00'), since(1, { GBP: '99.00' }), LOW),
  e(
    'deny beats exemptions',
    tx('1.00', 'EUR', {}, KP),
    { ...TRUSTED, ...seen(NOW) },
    'deny sanctioned',
  ),
  e('a require rule stops exemptions', tx('5000.00'), TRUSTED, 'require sca huge'),
  e('no transaction: no payment exemption', { context: { riskScore: 0 } }, TRUSTED, SCA),
  e('trusted payee', tx('50.00'), TRUSTED, TRUST),
  e('untrusted payee account', tx('50.00', 'EUR', OTHER), TRUSTED, SCA),
  e('trusted needs payeeAccount', tx('50.00', 'EUR', { payeeAccount: undefined }), TRUSTED, SCA),
  e('low value tried before trusted', tx('5.00'), TRUSTED, LOW),
  e('recurring: same amount and payee', tx('45.00', 'EUR', REC), SERIES, 'exempt recurring'),
  e('recurring: "45" is "45.00"', tx('45', 'EUR', REC), SERIES, 'exempt recurring'),
  e('recurring: a different amount', tx('45.01', 'EUR', REC), SERIES, SCA),
  e('recurring: a different payee', tx('45.00', 'EUR', { ...REC, ...OTHER }), SERIES, SCA),
  e('recurring: another currency', tx('45.00', 'GBP', REC), SERIES, SCA),
  e('recurring: not marked recurring', tx('45.00'), SERIES, SCA),
  e('TRA: score at the ceiling (20)', scored(20, '80.00'), {}, RISK),
  e('TRA: score above the ceiling (21)', scored(21, '80.00'), {}, SCA),
  e('TRA: no score', tx('80.00', 'EUR', OTHER), {}, SCA),
  e('TRA: €100.00 at the ceiling', scored(0, '100.00'), {}, RISK),
  e('TRA: €100.01 above it', scored(0, '100.01'), {}, SCA),
  e('TRA: GBP under a EUR ceiling', scored(0, '50.00', 'GBP'), {}, SCA),
  e('trusted tried before TRA', tx('80.00', 'EUR', {}, { riskScore: 0 }), TRUSTED, TRUST),
  e('remembered device, last second', device(), seen(NOW - 30 * DAY + 1), REMEMBERED),
  e('remembered device, expired at 30 days', device(), seen(NOW - 30 * DAY), SCA),
  e('no deviceId: nothing remembered', scored(90, '900.00'), seen(NOW), SCA),
  e(
    'a remembered device does not exempt a payment',
    tx('900.00', 'EUR', OTHER, DEV),
    seen(NOW),
    SCA,
  ),
  e('another device is not remembered', device('device-2'), seen(NOW), SCA),
];

const expectedOf = (text: string) => {
  const [decision, first, rule] = text.split(' ');
  if (decision === 'deny') return { decision, rule: first, exemption: undefined, level: undefined };
  if (decision === 'exempt') return { decision, rule, exemption: first, level: undefined };
  return { decision, rule, exemption: undefined, level: first };
};

describe('evaluatePolicy', () => {
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('%s', (_name, document, start, state, expected) => {
    const { decision, rule, exemption, level } = evaluatePolicy({
      policy: document,
      start,
      state,
      now: NOW,
    });
    expect({ decision, rule, exemption, level }).toStrictEqual(expectedOf(expected));
  });

  it('a deviceId { remembered } rule holds until the last second of rememberDevice.days', () => {
    const known = policy({
      rules: [when('known-device', { deviceId: { remembered: true } }, 'exempt')],
      rememberDevice: { days: 7 },
    });
    const at = (scaAt: number) =>
      evaluatePolicy({ policy: known, start: device(), state: seen(scaAt), now: NOW });
    expect(at(NOW - 7 * DAY + 1)).toMatchObject({ decision: 'exempt', rule: 'known-device' });
    expect(at(NOW - 7 * DAY)).toMatchObject({ decision: 'require', level: 'mfa' });
  });

  it("takes the caller's deviceRef over hashing context.deviceId", () => {
    const state = { rememberedDevices: { 'keyed-ref': NOW } };
    const withRef = evaluatePolicy({
      policy: EXEMPT,
      start: device(),
      state,
      now: NOW,
      deviceRef: 'keyed-ref',
    });
    const hashed = evaluatePolicy({ policy: EXEMPT, start: device(), state, now: NOW });
    expect([withRef.exemption, hashed.decision]).toStrictEqual(['remembered_device', 'require']);
  });

  it('traces deny rules first, then the other rules, the exemptions and the default', () => {
    const start = tx('60.00', 'EUR', OTHER, { country: 'GB', riskScore: 50 });
    expect(evaluatePolicy({ policy: EXEMPT, start, state: {}, now: NOW }).trace).toStrictEqual([
      { step: 'rule:sanctioned', outcome: 'no match (country)' },
      { step: 'rule:huge', outcome: 'no match (amount)' },
      { step: 'exemption:low_value', outcome: 'amount above maxAmount' },
      { step: 'exemption:trusted_beneficiary', outcome: 'payee not trusted' },
      { step: 'exemption:recurring', outcome: 'not marked recurring' },
      { step: 'exemption:transaction_risk_analysis', outcome: 'riskScore above maxRiskScore' },
      { step: 'exemption:remembered_device', outcome: 'a payment (only RTS exemptions apply)' },
      { step: 'default', outcome: 'require sca' },
    ]);
  });

  it('traces the 6th low-value payment with its count', () => {
    const { trace } = evaluatePolicy({
      policy: EXEMPT,
      start: tx('1.00'),
      state: since(5, {}),
      now: NOW,
    });
    expect(trace[2]).toStrictEqual({
      step: 'exemption:low_value',
      outcome: 'payment 6 since the last SCA (max 5)',
    });
  });

  it('answers a known and an unknown user alike on a deny', () => {
    const start = tx('1.00', 'EUR', {}, { country: 'KP' });
    const known = evaluatePolicy({
      policy: EXEMPT,
      start,
      state: { ...TRUSTED, ...since(1, {}) },
      now: NOW,
    });
    const unknown = evaluatePolicy({ policy: EXEMPT, start, state: {}, now: NOW });
    expect(scaClaim(known)).toStrictEqual({ decision: 'deny', rule: 'sanctioned' });
    expect(scaClaim(unknown)).toStrictEqual(scaClaim(known));
  });

  it('scaClaim has no undefined members', () => {
    const result = evaluatePolicy({ policy: EXEMPT, start: tx('1.00'), state: {}, now: NOW });
    expect(scaClaim(result)).toStrictEqual({ decision: 'exempt', exemption: 'low_value' });
    expect(Object.keys(scaClaim(result))).toStrictEqual(['decision', 'exemption']);
  });

  it('defaultPolicy denies the sanctioned jurisdictions, else asks for mfa', () => {
    const run = (country: string) =>
      evaluatePolicy({
        policy: defaultPolicy(),
        start: { context: { country } },
        state: {},
        now: NOW,
      });
    expect(run('IR')).toMatchObject({ decision: 'deny', rule: 'sanctioned-jurisdictions' });
    expect(run('GB')).toMatchObject({ decision: 'require', level: 'mfa' });
  });
});
