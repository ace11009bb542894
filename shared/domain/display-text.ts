// The HTTP schemas (`displayText` in shared/http/schemas.ts) and the configuration both build
// on `toDisplayText`, so there is one rule for text a person reads.

/**
 * Text shown to a user (the payee in an SMS, an issuer name in an authenticator app) or kept
 * as context in the audit trail. What a person reads must be what the app sent, so characters
 * that change how other characters look, or that show as nothing, are refused rather than
 * stripped: stripping would approve text nobody submitted.
 *
 * Refused (Unicode general categories):
 * - `Cc` controls (tab, newline, ESC: terminal escapes in logs, line breaks in an SMS);
 * - `Cf` format characters: bidi embeddings, overrides and isolates (U+202A–202E,
 *   U+2066–2069, so `"\u202edtL EMCA"` would read as "ACME Ltd"), zero-width characters
 *   (U+200B–200D), U+FEFF, soft hyphen, tag characters;
 * - `Zl`, `Zp` line and paragraph separators (U+2028, U+2029);
 * - `Co` private use (its glyph depends on the phone's font);
 * - `Cn` unassigned code points (no glyph today, any glyph tomorrow);
 * - `Cs` lone surrogates (not text: they cannot be encoded as UTF-8);
 * - U+FFFD, the replacement character: what a decoder puts for bytes that were not UTF-8, so
 *   the text is not what the app meant to send;
 * - default-ignorable code points (they draw nothing: Hangul fillers, variation selectors);
 * - more than 4 combining marks in a row (they pile over neighbouring lines);
 * - text without a letter, digit or emoji (blank to the eye: spaces, U+2800, marks alone).
 * ZWJ and ZWNJ (`Cf`) are refused too, though some emoji sequences and Persian or Indic names
 * use them: allowing them only in their valid contexts (RFC 5892 ContextJ) is left for later.
 *
 * Accepted text is normalised to NFC, so `"Mu\u0308ller"` and `"Müller"` are the same payee in
 * the message, the MFA token and its binding. Length is counted in code points after NFC, the
 * way a person counts characters (not UTF-16 units: an emoji is one, not two).
 *
 * Unassigned depends on the Unicode version of the runtime's ICU: a character new in a later
 * Unicode version is refused on a runtime that does not know it yet.
 *
 * @example
 * toDisplayText('Mu\u0308ller & Søn Ltd', 70); // { ok: true, value: 'Müller & Søn Ltd' }
 * toDisplayText('\u202edtL EMCA', 70); // { ok: false, problem: 'format', message: '…' }
 */

/** Why a text was refused: a stable name for each rule. */
export type DisplayTextProblem =
  | 'empty'
  | 'too_long'
  | 'control'
  | 'format'
  | 'separator'
  | 'private_use'
  | 'unassigned'
  | 'surrogate'
  | 'replacement'
  | 'invisible'
  | 'blank'
  | 'marks';

export type DisplayTextResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly problem: DisplayTextProblem; readonly message: string };

// One class per rule, in the order they are reported; the first that matches names the rule.
// Built on first use: Unicode property classes cost ~0.8 ms to create at a cold start, and
// most functions only load this module (the configuration's display-text settings).
const refused = (): ReadonlyArray<readonly [DisplayTextProblem, RegExp, string]> => [
  ['control', /\p{Cc}/u, 'must not contain control characters (such as tab or newline)'],
  [
    'format',
    /\p{Cf}/u,
    'must not contain invisible format characters (bidi controls such as U+202E, zero-width characters such as U+200B, U+FEFF)',
  ],
  [
    'separator',
    /[\p{Zl}\p{Zp}]/u,
    'must not contain line or paragraph separators (U+2028, U+2029)',
  ],
  ['private_use', /\p{Co}/u, 'must not contain private-use characters'],
  ['surrogate', /\p{Cs}/u, 'must not contain unpaired surrogates'],
  ['unassigned', /\p{Cn}/u, 'must not contain unassigned Unicode code points'],
  [
    'replacement',
    /\uFFFD/u,
    'must not contain U+FFFD (the replacement character: bytes that were not UTF-8)',
  ],
  // Default-ignorable code points draw nothing though they are letters or marks to Unicode
  // (Hangul fillers U+3164, U+115F, variation selectors, U+034F): a payee of them reads as
  // empty.
  [
    'invisible',
    /\p{Default_Ignorable_Code_Point}/u,
    'must not contain characters that display as nothing (such as U+3164 or variation selectors)',
  ],
  // More than a few marks on one letter stack over the lines around it ("Zalgo" text), which
  // can cover the amount in a message.
  ['marks', /\p{M}{5}/u, 'must not stack more than 4 combining marks on one character'],
];

/** Something readable: a letter, digit or emoji, not only spaces, marks or blank symbols. */
const readable = () => /[\p{L}\p{N}\p{Extended_Pictographic}]/u;
let rules: { refused: ReturnType<typeof refused>; readable: RegExp } | undefined;

/** Length as a person counts it: code points, not UTF-16 units. */
export const codePointLength = (text: string): number => {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
};

/**
 * Checks `text` against the display-text rule; on success gives its NFC form. The message
 * names the rule only, never the text (it ends up in problem details and logs).
 */
export const toDisplayText = (text: string, maxCodePoints: number): DisplayTextResult => {
  rules ??= { refused: refused(), readable: readable() };
  for (const [problem, pattern, message] of rules.refused) {
    if (pattern.test(text)) return { ok: false, problem, message };
  }
  const value = text.normalize('NFC');
  const length = codePointLength(value);
  if (length === 0) return { ok: false, problem: 'empty', message: 'must not be empty' };
  if (!rules.readable.test(value)) {
    return {
      ok: false,
      problem: 'blank',
      message: 'must contain at least one letter, digit or emoji',
    };
  }
  if (length > maxCodePoints) {
    return {
      ok: false,
      problem: 'too_long',
      message: `must be at most ${maxCodePoints} characters`,
    };
  }
  return { ok: true, value };
};
