import type { BindingSubject } from './binding.js';
import { jcs, sha256 } from './canonical.js';

/**
 * The audit chain (API.md "Audit chain"): per user of an app, every audit event's detail
 * carries `type`, `seq` (from 1, no gaps) and `hash` =
 * b64u(SHA-256(UTF-8(prevHash + JCS(detail without "hash")))), `prevHash` "" for `seq` 1.
 *
 * Where it lives: the user item holds the head (`auditSeq`, `auditHash`: the last event folded
 * in) and `auditLog`, the details appended since (JCS strings, without `seq` and `hash`).
 * - A write that records a state change without having read the item (a challenge, a cancel,
 *   a verify's reservation) appends its events' details in the same update. DynamoDB applies
 *   the writes of one item one at a time, so the list's order is the chain's order and no two
 *   writers can take the same `seq`; the writer seals its events from the item the write
 *   returns.
 * - A write on an item this request has read folds instead: it seals the log and its own
 *   events, stores the new head and an empty log, on the condition that the head and the
 *   log's length are still those it read (they only move forward, so nothing was added).
 */
export interface AuditTrail {
  readonly auditSeq?: number;
  readonly auditHash?: string;
  readonly auditLog?: readonly string[];
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export type Detail = Readonly<Record<string, unknown>>;

/** A detail as sealed into the chain. */
export type SealedDetail = Detail & { readonly seq: number; readonly hash: string };

export const headOf = (trail: AuditTrail | undefined): ChainHead => ({
  seq: trail?.auditSeq ?? 0,
  hash: trail?.auditHash ?? '',
});

/** hash = b64u(SHA-256(UTF-8(prevHash + JCS(detail without "hash")))). */
export const chainHash = (prevHash: string, detail: Detail): string => {
  const { hash: _hash, ...hashed } = detail;
  return sha256(prevHash + jcs(hashed)).toString('base64url');
};

/** A log entry: the event's detail (with `type`) without `seq` and `hash`, canonical. */
export const logEntry = (detail: Detail): string => {
  const { seq: _seq, hash: _hash, ...entry } = detail;
  return jcs(entry);
};

/** The details of `entries` after `head`, sealed: with `seq` and `hash`. */
export const seal = (head: ChainHead, entries: readonly string[]): SealedDetail[] => {
  let { seq, hash } = head;
  return entries.map((entry) => {
    seq += 1;
    const detail = { ...(JSON.parse(entry) as Detail), seq };
    hash = chainHash(hash, detail);
    return { ...detail, hash };
  });
};

/** What an appending write recorded: the last `count` entries of the trail it returned. */
export const appendedOf = (trail: AuditTrail, count: number): SealedDetail[] =>
  count === 0 ? [] : seal(headOf(trail), trail.auditLog ?? []).slice(-count);

/** A fold: the trail as read and this write's entries, sealed; the head it leaves. */
export const foldOf = (seen: AuditTrail | undefined, entries: readonly string[]) => {
  const sealed = seal(headOf(seen), [...(seen?.auditLog ?? []), ...entries]);
  const last = sealed.at(-1);
  return {
    head: last ? { seq: last.seq, hash: last.hash } : headOf(seen),
    recorded: sealed.slice(sealed.length - entries.length),
  };
};

/** The trail's place: its head's `seq` and its log's length (a fold is conditioned on both). */
export const trailPlace = (trail: AuditTrail | undefined) => ({
  seq: trail?.auditSeq,
  length: trail?.auditLog?.length ?? 0,
});

export type ChainBreak =
  | 'gap'
  | 'duplicate'
  | 'wrong hash'
  | 'another user'
  | 'not an audit event'
  | 'empty'
  | 'head mismatch'
  | 'anchor missing'
  | "anchor not the receipt's event"
  | 'anchor not after --from';

export type ChainCheck =
  | { readonly ok: true; readonly count: number; readonly head: ChainHead }
  | {
      readonly ok: false;
      readonly seq: number;
      readonly reason: ChainBreak;
      readonly detail?: Detail;
    };

/** What a check may be told besides the events (each from a source the checker trusts). */
export interface ChainAnchors {
  /** Check from here: a head known good (events up to it may have passed their retention). */
  readonly from?: ChainHead;
  /** The chain must end here (the head in the user item, sealed with its log). */
  readonly head?: ChainHead;
  /** Places the chain must hold: receipts' `audit` members, with what each receipt says. */
  readonly anchors?: readonly (ChainHead | ReceiptAnchor)[];
}

/**
 * A receipt's place in the chain and what it says of its operation. The event there must be
 * that operation's success (`mfa.authn.succeeded`, or the `mfa.authn.started` of an
 * exemption) and say the same: app, user, transaction, payment, consent, the digest of the
 * receipt's claims (all but `iss`, `iat`, `audit`), and a time near the receipt's `iat`. A
 * receipt forged with a leaked key has no such event, whether it points at another event or
 * at its transaction's own with any other claim, or is backdated.
 */
export interface ReceiptAnchor extends ChainHead {
  readonly clientId: string;
  readonly userRef: string;
  readonly txn: string;
  /** The receipt's `policy.decision` is `exempt`: its event is the start's. */
  readonly exempt: boolean;
  /** The payment, its payee account masked as events show it (`…1234`). */
  readonly transaction?: BindingSubject['transaction'];
  readonly consentId?: string;
  /** Its `receiptDigest` (every claim but `iss`, `iat`, `audit`), which success events record. */
  readonly receiptDigest: string;
  /** Its `iat`: signed right after its event, so within a few minutes of the event's `time`. */
  readonly iat: number;
}

/** How far a receipt's `iat` may lie from its event's `time`: clocks, and a slow signing. */
const RECEIPT_EARLY_SECONDS = 60;
const RECEIPT_LATE_SECONDS = 300;

const isReceiptAnchor = (anchor: ChainHead | ReceiptAnchor): anchor is ReceiptAnchor =>
  'txn' in anchor;

const saysTheSame = (detail: Detail, anchor: ReceiptAnchor): boolean => {
  const event = detail.transaction as Readonly<Record<string, unknown>> | undefined;
  const paid = anchor.transaction;
  const recordedAt = Date.parse(String(detail.time)) / 1000;
  const sameKind = anchor.exempt
    ? detail.type === 'mfa.authn.started' && detail.status === 'SUCCESS'
    : detail.type === 'mfa.authn.succeeded';
  const samePayment =
    paid === undefined
      ? event === undefined
      : event !== undefined &&
        event.amount === paid.amount &&
        event.currency === paid.currency &&
        event.payee === paid.payee &&
        event.payeeAccount === paid.payeeAccount;
  return (
    sameKind &&
    samePayment &&
    detail.transactionId === anchor.txn &&
    detail.clientId === anchor.clientId &&
    detail.userRef === anchor.userRef &&
    detail.consentId === anchor.consentId &&
    // Events recorded before the digest existed say nothing of factors and policy.
    (detail.receiptDigest === undefined || detail.receiptDigest === anchor.receiptDigest) &&
    // The chain dates the receipt: a backdated or late-made one is not this event's.
    anchor.iat >= recordedAt - RECEIPT_EARLY_SECONDS &&
    anchor.iat <= recordedAt + RECEIPT_LATE_SECONDS
  );
};

/**
 * Checks one user's chain from its events' details, in any order: sorted by `seq`, it must
 * run on from `from` (1 by default) with each `hash` recomputed from the one before, every
 * event naming this app and user. The same event delivered twice (EventBridge delivers at
 * least once) counts once. Returns the first break: an event edited (wrong hash), dropped
 * (gap), reordered (its `seq` changed: wrong hash), a second event at one place (duplicate),
 * one of another user spliced in, an end other than `head`, or an anchor not in the chain.
 */
export const checkChain = (
  details: readonly Detail[],
  owner: { readonly clientId: string; readonly userRef: string },
  anchors: ChainAnchors = {},
): ChainCheck => {
  const start = anchors.from ?? { seq: 0, hash: '' };
  const seen = new Map<string, Detail>();
  for (const detail of details) seen.set(jcs(detail), detail);
  const events = [...seen.values()]
    .filter((detail) => typeof detail.seq !== 'number' || detail.seq > start.seq)
    .sort((a, b) => Number(a.seq) - Number(b.seq));
  let head: ChainHead = start;
  const kept = new Map<number, Detail>();
  for (const detail of events) {
    const { seq, hash } = detail;
    if (typeof seq !== 'number' || typeof hash !== 'string' || typeof detail.type !== 'string')
      return { ok: false, seq: head.seq + 1, reason: 'not an audit event', detail };
    if (detail.clientId !== owner.clientId || detail.userRef !== owner.userRef)
      return { ok: false, seq, reason: 'another user', detail };
    if (seq === head.seq) return { ok: false, seq, reason: 'duplicate', detail };
    if (seq !== head.seq + 1) return { ok: false, seq: head.seq + 1, reason: 'gap' };
    if (chainHash(head.hash, detail) !== hash)
      return { ok: false, seq, reason: 'wrong hash', detail };
    head = { seq, hash };
    kept.set(seq, detail);
  }
  if (events.length === 0 && !anchors.from) return { ok: false, seq: 1, reason: 'empty' };
  if (anchors.head && (anchors.head.seq !== head.seq || anchors.head.hash !== head.hash))
    return { ok: false, seq: Math.min(head.seq, anchors.head.seq) + 1, reason: 'head mismatch' };
  for (const anchor of anchors.anchors ?? []) {
    const event = kept.get(anchor.seq);
    const held = anchor.seq === start.seq ? start.hash : event?.hash;
    if (held !== anchor.hash) return { ok: false, seq: anchor.seq, reason: 'anchor missing' };
    if (!isReceiptAnchor(anchor)) continue;
    // The event at `from` is not read: what it says cannot be compared.
    if (!event) return { ok: false, seq: anchor.seq, reason: 'anchor not after --from' };
    if (!saysTheSame(event, anchor))
      return { ok: false, seq: anchor.seq, reason: "anchor not the receipt's event" };
  }
  return { ok: true, count: events.length, head };
};
