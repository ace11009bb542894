// zod/mini: the authorizer's configuration (its route policies are JSON) is a zod schema.
import type * as z from 'zod/mini';
import { type ConfigError, configError, DECIMAL_DIGITS } from './settings.js';

/**
 * Validates and freezes a config given as a zod schema (the authorizer's, whose route
 * policies are JSON). Fails with a {@link ConfigError} naming each bad variable, what it must
 * be and what is wrong with it, never its value: the form of `settings.ts`, whose tables the
 * service configuration uses.
 */
export const parseConfigSchema = <S extends z.ZodMiniType>(
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.infer<S>> => {
  const result = schema.safeParse(env);
  if (!result.success) throw configErrorOf(schema, result.error.issues, env);
  return Object.freeze(result.data);
};

// The schema walk reads zod's definitions (`_zod.def`, its introspection surface): the
// message and the validation cannot drift apart, and no second table of ranges is kept.
type Schema = z.core.$ZodType;
interface SchemaDef {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly out?: Schema;
  readonly element?: Schema;
  readonly keyType?: Schema;
  readonly valueType?: Schema;
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly entries?: Readonly<Record<string, unknown>>;
  readonly format?: string;
  readonly protocol?: RegExp;
  readonly checks?: readonly z.core.$ZodCheck[];
}
interface CheckDef {
  readonly check: string;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: string;
  readonly pattern?: RegExp;
}

const defOf = (schema: Schema) => schema._zod.def as unknown as SchemaDef;
const checksOf = (schema: Schema) =>
  (defOf(schema).checks ?? []).map((check) => check._zod.def as unknown as CheckDef);
const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch']);

/** The schema that states the rule: wrappers removed, a pipe read at its typed end. */
const unwrap = (schema: Schema): Schema => {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in && def.out)
    return unwrap(defOf(def.out).type === 'transform' ? def.in : def.out);
  return schema;
};

const schemaAt = (schema: Schema, keys: readonly string[]): Schema | undefined => {
  let current: Schema | undefined = schema;
  for (const key of keys) {
    if (!current) return undefined;
    const def = defOf(unwrap(current));
    current = def.type === 'object' ? def.shape?.[key] : def.valueType;
  }
  return current;
};

const numberRule = (checks: readonly CheckDef[]) => {
  const integer = checks.some((c) => c.check === 'number_format' && /int/.test(`${c.format}`));
  const noun = integer ? 'an integer' : 'a number';
  const low = checks.find((c) => c.check === 'greater_than');
  const high = checks.find((c) => c.check === 'less_than');
  if (low?.inclusive && high?.inclusive) return `${noun} from ${low.value} to ${high.value}`;
  const bounds = [
    low && `${low.inclusive ? 'at least' : 'above'} ${low.value}`,
    high && `${high.inclusive ? 'at most' : 'below'} ${high.value}`,
  ].filter(Boolean);
  return bounds.length > 0 ? `${noun} of ${bounds.join(' and ')}` : noun;
};

const stringRule = (def: SchemaDef, checks: readonly CheckDef[]) => {
  if (def.format === 'email') return 'an email address';
  if (def.format === 'url')
    return def.protocol ? `a URL whose protocol matches ${def.protocol}` : 'a URL';
  if (def.format) return `a valid ${def.format}`;
  const min = checks.find((c) => c.check === 'min_length')?.minimum;
  const max = checks.find((c) => c.check === 'max_length')?.maximum;
  const patterns = checks.flatMap((c) => (c.pattern ? [String(c.pattern)] : []));
  let rule = min === 1 && max === undefined ? 'non-empty text' : 'text';
  if (min !== undefined && max !== undefined) rule += ` of ${min} to ${max} characters`;
  else if (min !== undefined && min > 1) rule += ` of at least ${min} characters`;
  else if (max !== undefined) rule += ` of at most ${max} characters`;
  return patterns.length > 0 ? `${rule} matching ${patterns.join(' and ')}` : rule;
};

const listRule = (checks: readonly CheckDef[], element?: Schema) => {
  const min = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
  const list =
    min === 1 ? 'a non-empty list' : min > 1 ? `a list of at least ${min} items` : 'a list';
  const each = element && ruleOf(element);
  return each ? `${list}, each ${each}` : list;
};

/** What a value of `schema` must be, in words; undefined when the schema says nothing plain. */
const ruleOf = (schema: Schema): string | undefined => {
  const target = unwrap(schema);
  const def = defOf(target);
  switch (def.type) {
    case 'number':
      return numberRule(checksOf(target));
    case 'string':
      return stringRule(def, checksOf(target));
    case 'enum':
      return `one of ${Object.values(def.entries ?? {}).join(', ')}`;
    case 'array':
      return listRule(checksOf(target), def.element);
    case 'record': {
      const keys = def.keyType && ruleOf(def.keyType);
      return keys ? `an object whose keys are ${keys}` : 'an object';
    }
    case 'object':
      return 'an object';
    default:
      return undefined;
  }
};

const tooSmall = (origin: string, minimum: number, inclusive = true) => {
  if (origin === 'string')
    return minimum <= 1 ? 'an empty value' : `fewer than ${minimum} characters`;
  if (origin === 'array') return minimum <= 1 ? 'an empty list' : `fewer than ${minimum} items`;
  return inclusive ? `a value below ${minimum}` : `a value of ${minimum} or less`;
};
const tooBig = (origin: string, maximum: number, inclusive = true) => {
  if (origin === 'string') return `more than ${maximum} characters`;
  if (origin === 'array') return `more than ${maximum} items`;
  return inclusive ? `a value above ${maximum}` : `a value of ${maximum} or more`;
};
const FORMAT_NOUNS: Readonly<Record<string, string>> = {
  email: 'an email address',
  url: 'an accepted URL',
};

/** What is wrong, from the issue alone: it never carries the value (zod omits `input`). */
const problemOf = (issue: z.core.$ZodIssue): string => {
  switch (issue.code) {
    case 'too_small':
      return `got ${tooSmall(issue.origin, Number(issue.minimum), issue.inclusive)}`;
    case 'too_big':
      return `got ${tooBig(issue.origin, Number(issue.maximum), issue.inclusive)}`;
    case 'invalid_type':
      if (issue.expected === 'int') return 'got a value that is not an integer';
      return issue.expected === 'number'
        ? 'got a value that is not a number'
        : `got a value that is not of type ${issue.expected}`;
    case 'invalid_value':
      return 'got another value';
    case 'invalid_format':
      return issue.format === 'regex'
        ? issue.pattern === String(DECIMAL_DIGITS)
          ? 'got something other than decimal digits'
          : `got a value not matching ${issue.pattern}`
        : `got a value that is not ${FORMAT_NOUNS[issue.format] ?? `a valid ${issue.format}`}`;
    case 'unrecognized_keys':
      return `got ${issue.keys.length} unknown field${issue.keys.length === 1 ? '' : 's'}`;
    case 'invalid_key': {
      const inner = issue.issues[0];
      return inner?.code === 'invalid_format' && inner.pattern
        ? `got a key not matching ${inner.pattern}`
        : 'got an invalid key';
    }
    case 'custom':
      return issue.message && issue.message !== 'Invalid input'
        ? issue.message
        : 'got an invalid value';
    default:
      return 'got an invalid value';
  }
};

/**
 * The setting an issue is about: the variable, and inside a JSON value the keys down to the
 * bad field (`MFA_ROUTE_POLICIES.GET /x.maxAge`); list items and a refused key itself are
 * told in the problem instead.
 */
const settingOf = (issue: z.core.$ZodIssue) => {
  const path = issue.code === 'invalid_key' ? issue.path.slice(0, -1) : issue.path;
  const end = path.findIndex((key) => typeof key !== 'string');
  const keys = (end < 0 ? path : path.slice(0, end)) as string[];
  const item = path[keys.length];
  return { keys, item: typeof item === 'number' ? `item ${item + 1}: ` : '' };
};

/** One line per bad setting: what it must be and what is wrong with it. */
const configErrorOf = (
  schema: Schema,
  issues: readonly z.core.$ZodIssue[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigError => {
  const settings = new Map<string, { keys: string[]; problems: string[] }>();
  for (const issue of issues) {
    const { keys, item } = settingOf(issue);
    const name = keys.join('.') || 'the configuration';
    const raw = keys.length === 1 && !item ? env[keys[0] as string] : null;
    const problem =
      raw === undefined ? 'not set' : raw === '' ? 'got an empty value' : problemOf(issue);
    const setting = settings.get(name) ?? { keys, problems: [] };
    if (!setting.problems.includes(item + problem)) setting.problems.push(item + problem);
    settings.set(name, setting);
  }
  const lines = [...settings].map(([name, { keys, problems }]) => {
    const at = schemaAt(schema, keys);
    const rule = at && ruleOf(at);
    return `${name} ${rule ? `must be ${rule}` : 'is invalid'} (${problems.join('; ')})`;
  });
  return configError(lines);
};
