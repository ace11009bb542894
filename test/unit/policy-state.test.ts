import { describe, expect, it } from 'vitest';
import {
  deviceRef,
  evaluatePolicy,
  MAX_REMEMBERED_DEVICES,
  type PolicyState,
  parsePolicy,
  seriesKey,
  stateAfterExempt,
  stateAfterSca,
  stateAfterVerify,
} from '../../shared/domain/policy/index.js';
import { DAY_SECONDS as DAY } from '../../shared/domain/time.js';

const NOW = 1_800_000_000;
const POLICY = parsePolicy({
  version: 1,
  rules: [],
  exemptions: {
    lowValue: { currency: 'EUR', maxAmount: '30.00', maxCumulative: '100.00', maxCount: 5 },
    recurring: true,
    rememberedDevice: true,
  },
  rememberDevice: { days: 30 },
  default: { require: 'sca' },
});
const pay = (amount: string, currency = 'EUR', recurring?: boolean) => ({
  amount,
  currency,
  payee: 'Acme Ltd',
  payeeAccount: 'GB33BUKB20201555555555',
  ...(recurring === undefined ? {} : { recurring }),
});
const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object') {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
};

describe('stateAfterExempt (RTS Art. 16 counters)', () => {
  it('counts each payment and totals it per currency', () => {
    const one = stateAfterExempt({}, pay('30.00'));
    const two = stateAfterExempt(one, pay('20.5'));
    const three = stateAfterExempt(two, pay('10.00', 'GBP'));
    expect(three.sinceSca).toStrictEqual({ count: 3, cumulative: { EUR: '50.50', GBP: '10.00' } });
  });

  it('changes nothing without a transaction, and never mutates its input', () => {
    const state = deepFreeze<PolicyState>({ sinceSca: { count: 1, cumulative: { EUR: '1.00' } } });
    expect(stateAfterExempt(state, undefined)).toBe(state);
    expect(stateAfterExempt(state, pay('2.00')).sinceSca).toStrictEqual({
      count: 2,
      cumulative: { EUR: '3.00' },
    });
  });

  it('five €20.00 payments are exempt, the sixth is not; an SCA starts afresh', () => {
    let state: PolicyState = {};
    const decide = () =>
      evaluatePolicy({ policy: POLICY, start: { transaction: pay('20.00') }, state, now: NOW });
    for (let payment = 1; payment <= 5; payment++) {
      expect(decide().exemption).toBe('low_value');
      state = stateAfterExempt(state, pay('20.00'));
    }
    expect(decide()).toMatchObject({ decision: 'require', level: 'sca' });
    state = stateAfterSca(state, {
      rememberDays: POLICY.rememberDevice?.days,
      transaction: pay('20.00'),
      now: NOW,
    });
    expect(state.sinceSca).toStrictEqual({ count: 0, cumulative: {} });
    expect(decide().exemption).toBe('low_value');
  });
});

describe('stateAfterSca', () => {
  const device = deviceRef('device-1');

  it('remembers the device for rememberDevice.days, then not', () => {
    const state = stateAfterSca(
      {},
      { rememberDays: POLICY.rememberDevice?.days, deviceRef: device, now: NOW },
    );
    expect(state.rememberedDevices).toStrictEqual({ [device]: NOW });
    const at = (now: number) =>
      evaluatePolicy({ policy: POLICY, start: { context: { deviceId: 'device-1' } }, state, now });
    expect(at(NOW + 30 * DAY - 1).exemption).toBe('remembered_device');
    expect(at(NOW + 30 * DAY).decision).toBe('require');
  });

  it('drops expired devices and keeps the newest MAX_REMEMBERED_DEVICES', () => {
    const old = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`d${i}`, NOW - i * DAY]));
    const expired = { gone: NOW - 30 * DAY };
    const state = stateAfterSca(
      { rememberedDevices: { ...old, ...expired } },
      { rememberDays: POLICY.rememberDevice?.days, deviceRef: 'new', now: NOW + 1 },
    );
    const kept = Object.keys(state.rememberedDevices ?? {});
    expect(kept).toHaveLength(MAX_REMEMBERED_DEVICES);
    expect(kept).toStrictEqual(['new', 'd0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8']);
  });

  it('remembers nothing, and forgets all, when the policy has no rememberDevice', () => {
    const noDays = parsePolicy({ version: 1, rules: [] });
    const state = stateAfterSca(
      { rememberedDevices: { [device]: NOW } },
      { rememberDays: noDays.rememberDevice?.days, deviceRef: 'new', now: NOW },
    );
    expect(state.rememberedDevices).toStrictEqual({});
    expect(stateAfterSca({}, { deviceRef: 'x', now: NOW }).rememberedDevices).toStrictEqual({});
  });

  it('records a recurring series, keeping its first approval', () => {
    const first = stateAfterSca(
      {},
      {
        rememberDays: POLICY.rememberDevice?.days,
        transaction: pay('45.00', 'EUR', true),
        now: NOW,
      },
    );
    const again = stateAfterSca(first, {
      rememberDays: POLICY.rememberDevice?.days,
      transaction: pay('45.00', 'EUR', true),
      now: NOW + DAY,
    });
    const key = seriesKey(pay('45.00', 'EUR', true));
    expect(again.recurringSeries).toStrictEqual({ [key]: { approvedAt: NOW } });
    const next = evaluatePolicy({
      policy: POLICY,
      start: { transaction: pay('45.00', 'EUR', true) },
      state: again,
      now: NOW + 31 * DAY,
    });
    expect(next.exemption).toBe('recurring');
  });

  it('records no series for a payment not marked recurring', () => {
    const state = stateAfterSca(
      {},
      { rememberDays: POLICY.rememberDevice?.days, transaction: pay('45.00'), now: NOW },
    );
    expect(state.recurringSeries).toStrictEqual({});
  });

  it('never mutates its input', () => {
    const state = deepFreeze<PolicyState>({
      sinceSca: { count: 2, cumulative: { EUR: '2.00' } },
      rememberedDevices: { [device]: NOW - DAY },
      trustedPayees: { A: { payee: 'A', addedAt: '2026-01-01T00:00:00.000Z' } },
    });
    const after = stateAfterSca(state, {
      rememberDays: POLICY.rememberDevice?.days,
      deviceRef: 'x',
      transaction: pay('1', 'EUR', true),
      now: NOW,
    });
    expect(after.trustedPayees).toBe(state.trustedPayees);
    expect(state.sinceSca?.count).toBe(2);
  });
});

describe('stateAfterVerify', () => {
  const counted: PolicyState = { sinceSca: { count: 1, cumulative: { EUR: '10.00' } } };

  it('acr sca resets the counters', () => {
    const state = stateAfterVerify(counted, {
      acr: 'sca',
      rememberDays: POLICY.rememberDevice?.days,
      transaction: pay('5.00'),
      now: NOW,
    });
    expect(state.sinceSca).toStrictEqual({ count: 0, cumulative: {} });
  });

  it('acr mfa is not SCA: the payment counts like an exempt one and no device is remembered', () => {
    const state = stateAfterVerify(counted, {
      acr: 'mfa',
      rememberDays: POLICY.rememberDevice?.days,
      transaction: pay('5.00'),
      deviceRef: 'x',
      now: NOW,
    });
    expect(state).toStrictEqual({ sinceSca: { count: 2, cumulative: { EUR: '15.00' } } });
  });
});

describe('stored keys', () => {
  it('deviceRef is a stable SHA-256 that does not hold the device id', () => {
    expect(deviceRef('device-1')).toBe(deviceRef('device-1'));
    expect(deviceRef('device-1')).not.toBe(deviceRef('device-2'));
    expect(deviceRef('device-1')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('seriesKey: same by value ("45" = "45.00"), different for payee name, account or currency', () => {
    const base = seriesKey(pay('45.00'));
    expect(seriesKey(pay('45'))).toBe(base);
    expect(seriesKey({ ...pay('45.00'), payee: 'Acme Limited' })).not.toBe(base);
    expect(seriesKey({ ...pay('45.00'), payeeAccount: 'X' })).not.toBe(base);
    expect(seriesKey(pay('45.00', 'GBP'))).not.toBe(base);
  });
});
