import {
  type AuditTrail,
  appendedOf,
  type ChainHead,
  foldOf,
  logEntry,
  type SealedDetail,
  trailPlace,
} from '../domain/audit-chain.js';
import type { AuditDetail, AuditEvent } from '../ports/events.js';
import type { AuditWrite } from '../ports/store.js';
import type { Written } from './aws/dynamo-table.js';

/**
 * How a write records its audit events on the user's chain (`shared/domain/audit-chain.ts`):
 * appended to the log, or folded into the head (`read`: the chain as the request read it,
 * which the write's condition requires unmoved). Undefined: no events.
 */
export type ChainMode =
  | { readonly kind: 'append'; readonly entries: readonly string[] }
  | {
      readonly kind: 'fold';
      readonly head: ChainHead;
      readonly read: ReturnType<typeof trailPlace>;
    };

export interface ChainPlan {
  readonly events: readonly AuditEvent[];
  readonly entries: readonly string[];
  readonly returnOld: boolean;
  /** Tried in order: a fold refused because the chain moved meanwhile is made again as an append. */
  readonly modes: readonly (ChainMode | undefined)[];
  readonly folded?: readonly SealedDetail[];
}

/** The plan of a write that records `audit` (the table adapters run it: `chainSettled`). */
export const chainPlan = (audit: AuditWrite | undefined, returnOld = false): ChainPlan => {
  if (!audit || audit.events.length === 0)
    return { events: [], entries: [], returnOld, modes: [undefined] };
  const entries = audit.events.map((event) => logEntry({ ...event.detail, type: event.type }));
  const append: ChainMode = { kind: 'append', entries };
  if (!audit.read) return { events: audit.events, entries, returnOld, modes: [append] };
  const { head, recorded } = foldOf(audit.read.item, entries);
  return {
    events: audit.events,
    entries,
    returnOld,
    modes: [{ kind: 'fold', head, read: trailPlace(audit.read.item) }, append],
    folded: recorded,
  };
};

const asRecorded = (events: readonly AuditEvent[], sealed: readonly SealedDetail[]) =>
  events.map((event, i) => ({ type: event.type, detail: sealed[i] as unknown as AuditDetail }));

/**
 * What one try of the plan gives: the write with its events sealed, its refusal, or undefined
 * when a fold was refused because the chain moved (then the next mode, an append, is tried;
 * a concurrent step never fails this one).
 */
export const chainSettled = <T extends AuditTrail>(
  plan: ChainPlan,
  mode: ChainMode | undefined,
  written: Written<T>,
): Written<T> | undefined => {
  if (!mode) return written;
  if (!written.ok) {
    if (mode.kind !== 'fold') return written;
    const seen = trailPlace(written.item);
    return seen.seq === mode.read.seq && seen.length === mode.read.length ? written : undefined;
  }
  if (mode.kind === 'fold') {
    return { ...written, recorded: asRecorded(plan.events, plan.folded ?? []) };
  }
  // ALL_OLD: the log before this write, which appended its entries at the end.
  const after: AuditTrail = plan.returnOld
    ? { ...written.item, auditLog: [...(written.item.auditLog ?? []), ...plan.entries] }
    : written.item;
  return { ...written, recorded: asRecorded(plan.events, appendedOf(after, plan.entries.length)) };
};
