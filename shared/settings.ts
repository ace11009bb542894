/**
 * Settings read from the environment, without a schema library: every Lambda function
 * validates the whole service configuration when it loads, and building zod schemas for ~45
 * variables cost ~8 ms of each cold start (README "Performance"). A setting states its rule
 * in words once, and the refusal is built from it: `NAME must be RULE (PROBLEM)`, never with
 * the value (some settings are secrets). The authorizer's settings are such a table too
 * (`authz/authorizer-config.ts`).
 */

/** Plain decimal digits: how whole-number settings must be written (named in a refusal). */
export const DECIMAL_DIGITS = /^\d{1,10}$/;

/**
 * A setting outside its rule. The message has one line per bad setting: its name, what it
 * must be and what is wrong, never the value.
 *
 * @example
 * // Invalid configuration: FACTOR_LOCK_SECONDS must be an integer from 60 to 86400 (got a value below 60)
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The error for these lines, one per bad setting (`NAME must be RULE (PROBLEMS)`). */
export const configError = (lines: readonly string[]) =>
  new ConfigError(
    lines.length === 1
      ? `Invalid configuration: ${lines[0]}`
      : `Invalid configuration:\n${lines.map((line) => `  ${line}`).join('\n')}`,
  );

/** What reading a raw value gave: the value, or what is wrong with it (never the value). */
export type Reading<T> = { readonly ok: true; readonly value: T } | { readonly problem: string };

/** One environment variable: its rule in words, how to read it, its default, its description. */
export interface Setting<T> {
  /** What the value must be, e.g. `an integer from 60 to 86400`; absent: the message says "is invalid". */
  readonly rule?: string;
  /** The README's description of the variable (a test keeps the configuration table in step). */
  readonly description: string;
  /** The value when the variable is not set; absent on a required setting. */
  readonly fallback?: { readonly value: T; readonly shown: string };
  /** True when an unset variable is allowed and read as undefined. */
  readonly optional?: boolean;
  read(raw: string): Reading<T>;
}

export type Settings = Readonly<Record<string, Setting<unknown>>>;
/** The configuration a table of settings gives: each setting's value, frozen. */
export type ConfigOf<S extends Settings> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

const ok = <T>(value: T): Reading<T> => ({ ok: true, value });
const problem = (text: string): Reading<never> => ({ problem: text });

/** The building blocks of a setting: a rule and a reader, described and defaulted below. */
export interface Kind<T> {
  readonly rule?: string;
  read(raw: string): Reading<T>;
}

/** A whole number in plain decimal digits (`''`, `' '`, `0x1e`, `3e2` are refused). */
export const int = (min: number, max: number): Kind<number> => ({
  rule: `an integer from ${min} to ${max}`,
  read: (raw) => {
    if (!DECIMAL_DIGITS.test(raw)) return problem('got something other than decimal digits');
    const value = Number(raw);
    if (value < min) return problem(`got a value below ${min}`);
    if (value > max) return problem(`got a value above ${max}`);
    return ok(value);
  },
});

/** Text of `min` (and at most `max`) characters. */
export const text = (min: number, max?: number): Kind<string> => {
  let rule = min === 1 && max === undefined ? 'non-empty text' : 'text';
  if (max !== undefined) rule += ` of ${min} to ${max} characters`;
  else if (min > 1) rule += ` of at least ${min} characters`;
  return {
    rule,
    read: (raw) => {
      if (raw.length < min)
        return problem(min <= 1 ? 'got an empty value' : `got fewer than ${min} characters`);
      if (max !== undefined && raw.length > max) return problem(`got more than ${max} characters`);
      return ok(raw);
    },
  };
};

/** Text matching `pattern`. */
export const matching = (pattern: RegExp): Kind<string> => ({
  rule: `text matching ${pattern}`,
  read: (raw) => (pattern.test(raw) ? ok(raw) : problem(`got a value not matching ${pattern}`)),
});

/** One of a few words. */
export const oneOf = <const T extends string>(choices: readonly T[]): Kind<T> => ({
  rule: `one of ${choices.join(', ')}`,
  read: (raw) =>
    (choices as readonly string[]).includes(raw) ? ok(raw as T) : problem('got another value'),
});

/** Whether the URL parser takes `text` (`new URL`: `URL.canParse` has answered wrongly once warm on Node 20). */
const parses = (text: string) => {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
};

/** An absolute http(s) URL (surrounding spaces trimmed). */
export const httpUrl = (): Kind<string> => ({
  rule: 'a URL whose protocol matches /^https?$/',
  read: (raw) => {
    const value = raw.trim();
    return /^https?:\/\//i.test(value) && parses(value) && !/[\t\n\r]/.test(value)
      ? ok(value)
      : problem('got a value that is not an accepted URL');
  },
});

// zod's email pattern (zod/v4 `regexes.email`), which this setting was validated with before.
const EMAIL =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

/** An email address. */
export const email = (): Kind<string> => ({
  rule: 'an email address',
  read: (raw) => (EMAIL.test(raw) ? ok(raw) : problem('got a value that is not an email address')),
});

/**
 * A comma-separated list (items trimmed, empty items dropped, `normalize` applied), at least
 * one item, each matching `item`.
 */
export const list = (item: RegExp, normalize: (text: string) => string = (text) => text) => ({
  rule: `a non-empty list, each text matching ${item}`,
  read: (raw: string): Reading<readonly string[]> => {
    const items = raw
      .split(',')
      .map((entry) => normalize(entry.trim()))
      .filter(Boolean);
    if (items.length === 0) return problem('got an empty list');
    const bad = items.findIndex((entry) => !item.test(entry));
    return bad < 0
      ? ok(Object.freeze(items))
      : problem(`item ${bad + 1}: got a value not matching ${item}`);
  },
});

/** A value a domain function reads, refusing with its own words (`rule` absent: "is invalid"). */
export const custom = <T>(read: (raw: string) => Reading<T>, rule?: string): Kind<T> => ({
  ...(rule === undefined ? {} : { rule }),
  read,
});

/** A setting the environment must give. */
export const required = <T>(kind: Kind<T>, description: string): Setting<T> => ({
  ...kind,
  description,
});

/** A setting that is undefined when unset. */
export const optional = <T>(kind: Kind<T>, description: string): Setting<T | undefined> => ({
  ...kind,
  description,
  optional: true,
});

/**
 * A setting with a default: the value itself, and how the README shows it (what the variable
 * would say). Not read through the rule at load (display text's Unicode classes cost a
 * millisecond to compile); a test reads every default through its rule.
 */
export const withDefault = <T>(
  kind: Kind<T>,
  fallback: T,
  description: string,
  shown = String(fallback),
): Setting<T> => ({
  ...kind,
  description,
  // A list default is one array for every parse: frozen, as a list read from the environment is.
  fallback: { value: Array.isArray(fallback) ? Object.freeze(fallback) : fallback, shown },
});

/**
 * Reads and freezes a configuration. Fails with a {@link ConfigError} naming each bad
 * variable, what it must be and what is wrong with it, never its value.
 */
export const parseSettings = <S extends Settings>(
  settings: S,
  env: Readonly<Record<string, string | undefined>>,
): ConfigOf<S> => {
  const config: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const [name, setting] of Object.entries(settings)) {
    const raw = env[name];
    if (raw === undefined) {
      if (setting.fallback) config[name] = setting.fallback.value;
      else if (!setting.optional) lines.push(lineOf(name, setting, 'not set'));
      continue;
    }
    const reading = setting.read(raw);
    if ('ok' in reading) config[name] = reading.value;
    else lines.push(lineOf(name, setting, raw === '' ? 'got an empty value' : reading.problem));
  }
  if (lines.length > 0) throw configError(lines);
  return Object.freeze(config) as ConfigOf<S>;
};

const lineOf = (name: string, setting: Setting<unknown>, what: string) =>
  `${name} ${setting.rule ? `must be ${setting.rule}` : 'is invalid'} (${what})`;

/** Some settings of a table (e.g. the ones a CDK prop sets, checked at synth). */
export const pickSettings = <S extends Settings, K extends keyof S>(
  settings: S,
  ...names: K[]
): Pick<S, K> => Object.fromEntries(names.map((name) => [name, settings[name]])) as Pick<S, K>;
