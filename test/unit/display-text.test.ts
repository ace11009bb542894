import { describe, expect, it } from 'vitest';
import { runClientCli } from '../../scripts/client.js';
import type { ClientTarget } from '../../scripts/client-target.js';
import { toDisplayText } from '../../shared/domain/display-text.js';
import { displayText, startBody } from '../../shared/http/schemas.js';

const problemOf = (text: string, max = 70) => {
  const result = toDisplayText(text, max);
  return result.ok ? 'ok' : result.problem;
};

describe('display text: refused characters', () => {
  it.each([
    ['U+202E right-to-left override', '\u202edtL EMCA', 'format'],
    ['U+202A left-to-right embedding', 'ACME\u202a Ltd', 'format'],
    ['U+2066 left-to-right isolate', 'ACME \u2066Ltd', 'format'],
    ['U+2069 pop directional isolate', 'ACME Ltd\u2069', 'format'],
    ['U+200B zero-width space', 'AC\u200bME Ltd', 'format'],
    ['U+200D zero-width joiner', 'ACME\u200dLtd', 'format'],
    ['U+FEFF byte order mark', '\ufeffACME Ltd', 'format'],
    ['U+00AD soft hyphen', 'AC\u00adME', 'format'],
    ['U+E0041 tag letter A', 'ACME\u{e0041}', 'format'],
    ['U+2028 line separator', 'ACME\u2028Ltd', 'separator'],
    ['U+2029 paragraph separator', 'ACME\u2029Ltd', 'separator'],
    ['U+E000 private use', 'ACME \ue000', 'private_use'],
    ['U+F0000 supplementary private use', 'ACME \u{f0000}', 'private_use'],
    ['U+0378 unassigned', 'ACME \u0378', 'unassigned'],
    ['U+10FFFF noncharacter', 'ACME \u{10ffff}', 'unassigned'],
    ['lone high surrogate', 'ACME \ud800', 'surrogate'],
    ['lone low surrogate', '\udc00ACME', 'surrogate'],
    ['the replacement character (bytes that were not UTF-8)', 'x\uFFFD(y', 'replacement'],
    ['newline', 'ACME\nLtd', 'control'],
    ['tab', 'ACME\tLtd', 'control'],
    ['U+001B escape', '\u001b[31mACME', 'control'],
    ['U+0085 next line', 'ACME\u0085Ltd', 'control'],
    ['empty', '', 'empty'],
    ['U+3164 Hangul filler (a letter that draws nothing)', '\u3164', 'invisible'],
    ['U+115F Hangul choseong filler', 'ACME\u115f', 'invisible'],
    ['U+FE0F variation selector', 'ACME\ufe0f Ltd', 'invisible'],
    ['U+034F combining grapheme joiner', 'AC\u034fME', 'invisible'],
    ['U+E0100 variation selector supplement', 'ACME\u{e0100}', 'invisible'],
    ['five combining marks on one letter', 'A\u0301\u0302\u0303\u0304\u0305CME', 'marks'],
    ['only spaces', '   ', 'blank'],
    ['only a non-breaking space', '\u00a0', 'blank'],
    ['U+2800 braille blank', '\u2800', 'blank'],
    ['only punctuation', '--.', 'blank'],
  ])('%s → %s', (_name, text, problem) => {
    expect(problemOf(text)).toBe(problem);
  });

  it('names the rule in its message, never the text', () => {
    const result = toDisplayText('secret\u202e', 70);
    expect(result).toMatchObject({ ok: false, problem: 'format' });
    expect(result.ok ? '' : result.message).toMatch(/bidi/);
    expect(result.ok ? '' : result.message).not.toContain('secret');
  });
});

describe('display text: accepted text is normalised to NFC', () => {
  it.each([
    ['combining diaeresis', 'Mu\u0308ller', 'Müller'],
    ['already NFC', 'Müller & Søn Ltd', 'Müller & Søn Ltd'],
    ['decomposed å and é', 'A\u030angstro\u0308m Cafe\u0301', 'Ångström Café'],
    ['Greek', 'Ελληνικά Α.Ε.', 'Ελληνικά Α.Ε.'],
    ['Japanese', '株式会社エーシーエムイー', '株式会社エーシーエムイー'],
    ['Arabic (right-to-left letters are not controls)', 'شركة أكمي', 'شركة أكمي'],
    ['an emoji (surrogate pair)', 'Café ☕ 🍰', 'Café ☕ 🍰'],
    ['non-breaking space', 'ACME\u00a0Ltd', 'ACME\u00a0Ltd'],
    [
      'four combining marks (Vietnamese and others need a few)',
      'A\u0301\u0302\u0303\u0304',
      'A\u0301\u0302\u0303\u0304'.normalize('NFC'),
    ],
  ])('%s', (_name, text, nfc) => {
    expect(toDisplayText(text, 70)).toEqual({ ok: true, value: nfc });
  });
});

describe('display text: length in code points after NFC', () => {
  it('70 code points pass and 71 do not', () => {
    expect(problemOf('x'.repeat(70))).toBe('ok');
    expect(problemOf('x'.repeat(71))).toBe('too_long');
  });

  it('counts an astral character once, not as two UTF-16 units', () => {
    const seventy = '🍰'.repeat(70);
    expect(seventy.length).toBe(140);
    expect(problemOf(seventy)).toBe('ok');
    expect(problemOf(`${seventy}x`)).toBe('too_long');
  });

  it('counts after NFC: 70 letters each with a combining mark are 70 characters', () => {
    const decomposed = 'u\u0308'.repeat(70);
    expect([...decomposed]).toHaveLength(140);
    expect(toDisplayText(decomposed, 70)).toEqual({ ok: true, value: 'ü'.repeat(70) });
  });
});

describe('display text: the zod schema', () => {
  it('outputs the NFC form and refuses with the rule as the only issue', () => {
    const schema = displayText(70);
    expect(schema.parse('Mu\u0308ller & Søn Ltd')).toBe('Müller & Søn Ltd');
    const refused = schema.safeParse('\u202edtL EMCA');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((issue) => issue.code)).toEqual(['custom']);
  });

  it('is what the start body uses for payee and context strings', () => {
    const body = startBody.parse({
      userId: 'u1',
      context: { userAgent: 'Cafe\u0301/1.0', deviceId: 'de\u0301vice', ip: '203.0.113.7' },
      transaction: { amount: '1.00', currency: 'EUR', payee: 'Mu\u0308ller & Søn Ltd' },
    });
    expect(body.transaction?.payee).toBe('Müller & Søn Ltd');
    expect(body.context).toEqual({ userAgent: 'Café/1.0', deviceId: 'dévice', ip: '203.0.113.7' });
  });
});

describe('the operator CLI applies the same rule to an app name', () => {
  const run = async (name: string) => {
    const created: { name: string }[] = [];
    const target: ClientTarget = {
      admin: {
        create: async (client: { name: string }) => {
          created.push(client);
          return true;
        },
      } as unknown as ClientTarget['admin'],
      description: 'test table',
      close: () => {},
    };
    const out = { stdout: '', stderr: '' };
    const code = await runClientCli(['create', '--name', name, '--id', 'app-1'], {
      stdout: (text) => {
        out.stdout += text;
      },
      stderr: (text) => {
        out.stderr += text;
      },
      openTarget: async () => target,
    });
    return { code, ...out, created };
  };

  it('refuses a bidi override with a usage error naming the rule', async () => {
    const result = await run('\u202eppA knaB');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: --name must not contain invisible format characters/);
    expect(result.created).toEqual([]);
  });

  it('refuses a name over 128 characters', async () => {
    const result = await run('x'.repeat(129));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: --name must be at most 128 characters/);
  });

  it('stores the NFC form of an accepted name', async () => {
    const result = await run('  Mu\u0308ller Bank ');
    expect(result.code).toBe(0);
    expect(result.created).toEqual([expect.objectContaining({ name: 'Müller Bank' })]);
    expect(JSON.parse(result.stdout)).toMatchObject({ clientId: 'app-1', name: 'Müller Bank' });
  });
});
