import { createHash } from 'node:crypto';
import { DAY_SECONDS } from '../time.js';
import { addAmounts, amountUnits } from './money.js';
import type { PolicyState, PolicyTransaction, SinceSca } from './types.js';

/** At most this many remembered devices per user: the oldest goes first. */
export const MAX_REMEMBERED_DEVICES = 10;
/** At most this many recurring series per user: the oldest goes first. */
export const MAX_RECURRING_SERIES = 50;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url');

/** How a device id is stored: its SHA-256 (base64url), so the item never holds the app's id. */
export const deviceRef = (deviceId: string): string => sha256(`device\u0000${deviceId}`);

/**
 * The key of a recurring series (RTS Art. 14: "the same amount and the same payee"): amount
 * (by value, so "10" = "10.00"), currency, payee account and payee name. The name is part of
 * it because it is what the user saw when they approved the series.
 */
export const seriesKey = (transaction: PolicyTransaction): string =>
  sha256(
    JSON.stringify([
      'series',
      transaction.currency,
      amountUnits(transaction.amount).toString(),
      transaction.payeeAccount ?? null,
      transaction.payee,
    ]),
  );

/** Whether `ref` passed SCA less than `days` ago: remembered until, not at, SCA + days. */
export const isRemembered = (
  state: PolicyState,
  ref: string | undefined,
  days: number | undefined,
  nowSeconds: number,
): boolean => {
  if (ref === undefined || days === undefined) return false;
  const devices = state.rememberedDevices ?? {};
  if (!Object.hasOwn(devices, ref)) return false;
  return nowSeconds < (devices[ref] ?? 0) + days * DAY_SECONDS;
};

const NO_PAYMENTS: SinceSca = Object.freeze({ count: 0, cumulative: Object.freeze({}) });

/**
 * The state after a payment that went through without SCA: an exempt start (any exemption,
 * a rule's "exempt" too) or a verify that reached `mfa` only. RTS Art. 16 counts every such
 * payment since the last SCA, whichever way it was let through. No transaction: no change.
 * The exemption was decided on the counters read, so write this conditioned on them.
 */
export const stateAfterExempt = (
  state: PolicyState,
  transaction: PolicyTransaction | undefined,
): PolicyState => {
  if (transaction === undefined) return state;
  const since = state.sinceSca ?? NO_PAYMENTS;
  const before = since.cumulative[transaction.currency] ?? '0';
  return {
    ...state,
    sinceSca: {
      count: since.count + 1,
      cumulative: {
        ...since.cumulative,
        [transaction.currency]: addAmounts(before, transaction.amount),
      },
    },
  };
};

/** Keeps the `max` newest entries by `time`. */
const newest = <T>(
  entries: Record<string, T>,
  max: number,
  time: (value: T) => number,
): Record<string, T> =>
  Object.fromEntries(
    Object.entries(entries)
      .sort(([, a], [, b]) => time(b) - time(a))
      .slice(0, max),
  );

export interface AfterScaInput {
  /** The policy's `rememberDevice.days` (undefined: the app remembers no device). */
  readonly rememberDays?: number;
  readonly transaction?: PolicyTransaction;
  /** `deviceRef(context.deviceId)`, when the start named a device. */
  readonly deviceRef?: string;
  /** epoch seconds of the SCA */
  readonly now: number;
}

/**
 * The state after a successful SCA (token `acr: "sca"`): the Art. 16 counters start afresh; the
 * device is remembered when the policy has `rememberDevice` (expired devices are dropped, and
 * all of them when the policy remembers none); a payment marked `recurring` starts a series
 * (its first SCA approval is kept when it already exists).
 */
export const stateAfterSca = (state: PolicyState, input: AfterScaInput): PolicyState => {
  const days = input.rememberDays;
  const devices: Record<string, number> = {};
  if (days !== undefined) {
    for (const [ref, at] of Object.entries(state.rememberedDevices ?? {})) {
      if (isRemembered(state, ref, days, input.now)) devices[ref] = at;
    }
    if (input.deviceRef !== undefined) devices[input.deviceRef] = input.now;
  }
  const series = { ...state.recurringSeries };
  if (input.transaction?.recurring === true) {
    const key = seriesKey(input.transaction);
    series[key] = series[key] ?? { approvedAt: input.now };
  }
  return {
    ...state,
    sinceSca: NO_PAYMENTS,
    rememberedDevices: newest(devices, MAX_REMEMBERED_DEVICES, (at) => at),
    recurringSeries: newest(series, MAX_RECURRING_SERIES, (s) => s.approvedAt),
  };
};

/**
 * The state after a verify that finished the transaction: `sca` as `stateAfterSca`; `mfa`
 * (one category only) is not SCA, so the payment counts like an exempt one.
 */
export const stateAfterVerify = (
  state: PolicyState,
  input: AfterScaInput & { readonly acr: 'mfa' | 'sca' },
): PolicyState =>
  input.acr === 'sca' ? stateAfterSca(state, input) : stateAfterExempt(state, input.transaction);
