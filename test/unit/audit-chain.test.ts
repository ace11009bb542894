import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChainWrite } from '../../shared/adapters/audit-write.js';
import {
  appendedOf,
  chainHash,
  checkChain,
  type Detail,
  foldOf,
  logEntry,
  type ReceiptAnchor,
  seal,
} from '../../shared/domain/audit-chain.js';

const owner = { clientId: 'app-1', userRef: 'ref-1' };
const detail = (n: number, over: Record<string, unknown> = {}): Detail => ({
  type: 'mfa.authn.started',
  eventId: `e-${n}`,
  time: `2027-01-15T08:00:0${n}.000Z`,
  requestId: `r-${n}`,
  ...owner,
  transactionId: 't-1',
  ...over,
});
const chainOf = (count: number) =>
  seal(
    { seq: 0, hash: '' },
    Array.from({ length: count }, (_, i) => logEntry(detail(i + 1))),
  );

describe('the audit chain (API.md canonical form)', () => {
  it('hash = b64u(SHA-256(UTF-8(prevHash + JCS(detail without "hash")))), "" before seq 1', () => {
    const [first, second] = chainOf(2);
    // JCS by hand: members sorted by UTF-16 code units, no whitespace.
    const jcs = (d: Detail) =>
      `{${Object.keys(d)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(d[k])}`)
        .join(',')}}`;
    const b64u = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url');
    const { hash: h1, ...rest1 } = first as Detail;
    const { hash: h2, ...rest2 } = second as Detail;
    expect(rest1.seq).toBe(1);
    expect(h1).toBe(b64u(jcs(rest1)));
    expect(h2).toBe(b64u(`${h1}${jcs(rest2)}`));
    expect(chainHash(h1 as string, second as Detail)).toBe(h2);
  });

  it('a log entry is the detail without seq and hash, canonical', () => {
    expect(logEntry({ b: 1, a: 'x', seq: 3, hash: 'h' })).toBe('{"a":"x","b":1}');
  });

  it('an append seals the last entries from the head and the log the write returned', () => {
    const all = chainOf(5);
    const head = { seq: 2, hash: all[1]?.hash as string };
    const log = [3, 4, 5].map((n) => logEntry(detail(n)));
    expect(appendedOf({ auditSeq: head.seq, auditHash: head.hash, auditLog: log }, 2)).toEqual(
      all.slice(3),
    );
    expect(appendedOf({ auditLog: log }, 0)).toEqual([]);
  });

  it('a fold seals the log as read and its own entries, and leaves the last as the head', () => {
    const all = chainOf(4);
    const read = {
      auditSeq: 1,
      auditHash: all[0]?.hash as string,
      auditLog: [logEntry(detail(2))],
    };
    const folded = foldOf(read, [logEntry(detail(3)), logEntry(detail(4))]);
    expect(folded.recorded).toEqual(all.slice(2));
    expect(folded.head).toEqual({ seq: 4, hash: all[3]?.hash });
    // A user item without a chain yet: from seq 1.
    expect(foldOf(undefined, [logEntry(detail(1))]).recorded).toEqual(all.slice(0, 1));
  });

  it('checks a whole chain in any order', () => {
    const chain = chainOf(6);
    expect(checkChain([...chain].reverse(), owner)).toEqual({
      ok: true,
      count: 6,
      head: { seq: 6, hash: chain[5]?.hash },
    });
  });

  it('counts an event delivered twice once (EventBridge delivers at least once)', () => {
    const chain = chainOf(4);
    expect(checkChain([...chain, chain[2] as Detail, chain[2] as Detail], owner)).toMatchObject({
      ok: true,
      count: 4,
    });
  });

  describe('with anchors the checker trusts', () => {
    const chain = chainOf(6);
    const at = (i: number) => ({ seq: i + 1, hash: chain[i]?.hash as string });
    it('from a head known good: the events before it may be gone', () => {
      expect(checkChain(chain.slice(3), owner, { from: at(2) })).toMatchObject({
        ok: true,
        count: 3,
      });
      expect(checkChain(chain.slice(4), owner, { from: at(2) })).toMatchObject({
        ok: false,
        seq: 4,
        reason: 'gap',
      });
    });
    it('the head in the user item: the last events dropped, or a forged one added', () => {
      expect(checkChain(chain.slice(0, 4), owner, { head: at(5) })).toMatchObject({
        ok: false,
        seq: 5,
        reason: 'head mismatch',
      });
      const forged = seal(at(5), [logEntry(detail(7, { type: 'mfa.factor.deleted' }))]);
      expect(checkChain([...chain, ...forged], owner, { head: at(5) })).toMatchObject({
        ok: false,
        reason: 'head mismatch',
      });
      expect(checkChain(chain, owner, { head: at(5) })).toMatchObject({ ok: true });
    });
    it("a receipt's place: a chain rewritten before it (and resealed) loses it", () => {
      const rewritten = seal(
        { seq: 0, hash: '' },
        chain.map((d, i) => logEntry(i === 1 ? { ...d, attemptsRemaining: 9 } : d)),
      );
      expect(checkChain(rewritten, owner)).toMatchObject({ ok: true });
      expect(checkChain(rewritten, owner, { anchors: [at(3)] })).toMatchObject({
        ok: false,
        seq: 4,
        reason: 'anchor missing',
      });
      expect(checkChain(chain, owner, { anchors: [at(3)] })).toMatchObject({ ok: true });
    });
    it("a receipt's place must be its own operation's success, saying what the receipt says", () => {
      const paid = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd', payeeAccount: '…3000' };
      const trail = seal(
        { seq: 0, hash: '' },
        [
          detail(1, { status: 'MFA_REQUIRED', transaction: paid }),
          detail(2, { type: 'mfa.factor.activated', transactionId: null }),
          detail(3, {
            type: 'mfa.authn.succeeded',
            transaction: paid,
            consentId: 'c-1',
            receiptDigest: 'digest-1',
          }),
          detail(4, { transactionId: 't-2', status: 'SUCCESS' }),
        ].map((d) => logEntry(d)),
      );
      const receipt = (seq: number, over: Partial<ReceiptAnchor> = {}): ReceiptAnchor => ({
        seq,
        hash: trail[seq - 1]?.hash as string,
        ...owner,
        txn: 't-1',
        exempt: false,
        transaction: paid,
        consentId: 'c-1',
        receiptDigest: 'digest-1',
        // Signed a second after its event (detail n's time is 08:00:0n).
        iat: Date.parse(`2027-01-15T08:00:0${seq}.000Z`) / 1000 + 1,
        ...over,
      });
      const eventAt = (seq: number) => Date.parse(`2027-01-15T08:00:0${seq}.000Z`) / 1000;
      const exemptT2 = { txn: 't-2', exempt: true, transaction: undefined, consentId: undefined };
      // The success of t-1 (after a factor), and t-2's exempt start (recorded before events
      // carried a receipt digest: its other members still have to match).
      for (const anchor of [receipt(3), receipt(4, exemptT2)])
        expect(checkChain(trail, owner, { anchors: [anchor] })).toMatchObject({ ok: true });
      const forged = [
        receipt(3, { txn: 't-2' }), // another transaction's success
        receipt(2), // a factor change
        receipt(1), // a start that asked for a factor
        receipt(4), // an exempt start, claimed as verified
        receipt(3, { exempt: true }), // a verified payment, claimed as exempt
        receipt(3, { transaction: { ...paid, amount: '99999.00' } }),
        receipt(3, { transaction: { ...paid, payee: 'Mallory Ltd' } }),
        receipt(3, { transaction: { ...paid, payeeAccount: '…9999' } }),
        receipt(3, { transaction: undefined }),
        receipt(3, { consentId: 'c-2' }),
        receipt(3, { receiptDigest: 'digest-2' }), // any other claim
        receipt(3, { iat: eventAt(3) - 61 }), // backdated (a leaked retired key)
        receipt(3, { iat: eventAt(3) + 301 }), // made later
        receipt(3, { userRef: 'ref-2' }),
        receipt(3, { clientId: 'app-2' }),
      ];
      for (const anchor of forged)
        expect(
          checkChain(trail, owner, { anchors: [anchor] }),
          JSON.stringify(anchor),
        ).toMatchObject({
          ok: false,
          seq: anchor.seq,
          reason: "anchor not the receipt's event",
        });
      // Checked from the receipt's own place: its event is not read, so it cannot vouch.
      expect(
        checkChain(trail.slice(3), owner, { from: receipt(3), anchors: [receipt(3)] }),
      ).toMatchObject({ ok: false, seq: 3, reason: 'anchor not after --from' });
    });
  });

  describe('finds the first break', () => {
    const chain = chainOf(6);
    const cases: [string, Detail[], { seq: number; reason: string }][] = [
      [
        'one field of one event edited',
        chain.map((d, i) => (i === 2 ? { ...d, attemptsRemaining: 5 } : d)),
        { seq: 3, reason: 'wrong hash' },
      ],
      ['one event dropped', chain.filter((_, i) => i !== 3), { seq: 4, reason: 'gap' }],
      [
        'two events swapped (their seq exchanged)',
        chain.map((d, i) => (i === 1 ? { ...d, seq: 3 } : i === 2 ? { ...d, seq: 2 } : d)),
        { seq: 2, reason: 'wrong hash' },
      ],
      [
        "another user's event spliced in",
        [
          ...chain.slice(0, 2),
          { ...(chainOf(3)[2] as Detail), userRef: 'ref-2' },
          ...chain.slice(3),
        ],
        { seq: 3, reason: 'another user' },
      ],
      [
        'a second event at one place (a fork)',
        [...chain, { ...(chain[4] as Detail), eventId: 'e-other' }],
        { seq: 5, reason: 'duplicate' },
      ],
      ['the first events missing', chain.slice(2), { seq: 1, reason: 'gap' }],
      [
        'the last event truncated of its hash',
        chain.map((d, i) => (i === 5 ? { ...d, hash: undefined } : d)),
        { seq: 6, reason: 'not an audit event' },
      ],
      ['no event at all', [], { seq: 1, reason: 'empty' }],
    ];
    for (const [name, details, expected] of cases) {
      it(name, () => {
        expect(checkChain(details, owner)).toMatchObject({ ok: false, ...expected });
      });
    }
  });
});

describe('a write that records audit events (ChainWrite)', () => {
  const event = {
    type: 'mfa.authn.failed' as const,
    detail: { eventId: 'e-9', time: 't', requestId: 'r', ...owner },
  };
  const read = { auditSeq: 2, auditHash: 'h2', auditLog: [] };

  it('a fold refused because the chain moved is made again on the chain the refusal saw', () => {
    const write = new ChainWrite({ events: [event], read: { item: read } });
    expect(write.mode).toMatchObject({ kind: 'fold', read: { seq: 2, length: 0 } });
    const moved = { ...read, auditLog: [logEntry(detail(3))] };
    expect(write.settle({ ok: false, item: moved })).toBeUndefined();
    expect(write.mode).toMatchObject({
      kind: 'fold',
      read: { seq: 2, length: 1 },
      head: { seq: 4 },
    });
  });

  it('a fold whose answer was lost (applied, then sent again) is done, not made twice', () => {
    const write = new ChainWrite({ events: [event], read: { item: read } });
    const mode = write.mode as { head: { seq: number; hash: string } };
    const applied = { auditSeq: mode.head.seq, auditHash: mode.head.hash, auditLog: [] };
    const done = write.settle({ ok: false, item: applied });
    expect(done).toMatchObject({ ok: true });
    expect(done?.ok && done.recorded[0]?.detail).toMatchObject({ seq: 3, hash: mode.head.hash });
  });

  it('refused for another reason (the chain unmoved): the refusal stands', () => {
    const write = new ChainWrite({ events: [event], read: { item: read } });
    expect(write.settle({ ok: false, item: read })).toEqual({ ok: false, item: read });
  });

  it('an append whose answer was lost (applied, then sent again) is done, sealed where it stands', () => {
    const write = new ChainWrite({ events: [event] });
    const entry = (write.mode as unknown as { entries: string[] }).entries[0] as string;
    const item = { auditSeq: 2, auditHash: 'h2', auditLog: [entry, logEntry(detail(9))] };
    const done = write.settle({ ok: false, item });
    expect(done?.ok && done.recorded[0]?.detail).toMatchObject({
      seq: 3,
      type: 'mfa.authn.failed',
    });
    // Refused for another reason (its entry not there): the refusal stands.
    const other = new ChainWrite({ events: [event] });
    const refused = { ok: false as const, item: { ...item, auditLog: [] } };
    expect(other.settle(refused)).toEqual(refused);
  });

  it('after three folds lost to moving chains, an append', () => {
    const write = new ChainWrite({ events: [event], read: { item: read } });
    for (let n = 1; n <= 3; n += 1)
      write.settle({ ok: false, item: { ...read, auditLog: Array(n).fill('{}') } });
    expect(write.mode?.kind).toBe('append');
  });
});
