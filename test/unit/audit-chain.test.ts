import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendedOf,
  chainHash,
  checkChain,
  type Detail,
  foldOf,
  logEntry,
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
      ['an event replayed', [...chain, chain[4] as Detail], { seq: 5, reason: 'duplicate' }],
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
