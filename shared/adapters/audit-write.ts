import {
  type AuditTrail,
  appendedOf,
  type ChainHead,
  foldOf,
  headOf,
  logEntry,
  type SealedDetail,
  seal,
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

/** Folds made again on the chain a refused fold saw, before appending instead. */
const FOLD_TRIES = 3;

/**
 * One write that records audit events on the user's chain, as its table adapter runs it:
 * `mode` is what to try; `settle` takes the answer and says whether the write is done (with
 * its events sealed) or what to try next. A fold refused because the chain moved is made
 * again on the chain the refusal saw (so the log stays short even under concurrency), and
 * after `FOLD_TRIES` as an append: a concurrent step never fails this one.
 */
export class ChainWrite {
  readonly #events: readonly AuditEvent[];
  readonly #entries: readonly string[];
  readonly #returnOld: boolean;
  #folded: readonly SealedDetail[] = [];
  #tries = 0;
  mode: ChainMode | undefined;

  constructor(audit: AuditWrite | undefined, returnOld = false) {
    this.#events = audit?.events ?? [];
    this.#entries = this.#events.map((event) => logEntry({ ...event.detail, type: event.type }));
    this.#returnOld = returnOld;
    this.mode =
      this.#entries.length === 0
        ? undefined
        : audit?.read
          ? this.#fold(audit.read.item)
          : { kind: 'append', entries: this.#entries };
  }

  #fold(read: AuditTrail | undefined): ChainMode {
    this.#tries += 1;
    const { head, recorded } = foldOf(read, this.#entries);
    this.#folded = recorded;
    return { kind: 'fold', head, read: trailPlace(read) };
  }

  /** The write's outcome, or undefined with `mode` set to the next try. */
  settle<T extends AuditTrail>(written: Written<T>): Written<T> | undefined {
    const { mode } = this;
    if (!mode) return written;
    if (!written.ok) {
      if (mode.kind !== 'fold') return this.#appendedBefore<T>(written);
      const seen = trailPlace(written.item);
      // Refused for another reason: the chain is where this request read it.
      if (seen.seq === mode.read.seq && seen.length === mode.read.length) return written;
      // This very write was applied and its answer lost (the SDK sent it again): the head it
      // set names its own events (their hash covers their eventId), so it is done.
      if (written.item?.auditHash === mode.head.hash && written.item.auditSeq === mode.head.seq)
        return { ok: true, item: written.item, recorded: this.#sealed(this.#folded) };
      this.mode =
        this.#tries < FOLD_TRIES
          ? this.#fold(written.item)
          : { kind: 'append', entries: this.#entries };
      return undefined;
    }
    if (mode.kind === 'fold') return { ...written, recorded: this.#sealed(this.#folded) };
    // ALL_OLD: the log before this write, which appended its entries at the end.
    const after: AuditTrail = this.#returnOld
      ? { ...written.item, auditLog: [...(written.item.auditLog ?? []), ...this.#entries] }
      : written.item;
    return { ...written, recorded: this.#sealed(appendedOf(after, this.#entries.length)) };
  }

  /**
   * An append refused: if its first entry is already in the log, this very write was
   * applied and its answer lost (the SDK sent it again): done, its events sealed where they
   * stand. Not for writes that answer the item as it was before (`returnOld`): that item is
   * gone, so the refusal stands (the chain still holds the events once).
   */
  #appendedBefore<T extends AuditTrail>(written: Written<T> & { ok: false }): Written<T> {
    const log = written.item?.auditLog ?? [];
    const at = log.indexOf(this.#entries[0] as string);
    if (at < 0 || this.#returnOld || !written.item) return written;
    const sealed = seal(headOf(written.item), log).slice(at, at + this.#entries.length);
    return { ok: true, item: written.item, recorded: this.#sealed(sealed) };
  }

  #sealed(sealed: readonly SealedDetail[]) {
    return this.#events.map((event, i) => ({
      type: event.type,
      detail: sealed[i] as unknown as AuditDetail,
    }));
  }
}
