import { type ChainMode, ChainWrite } from '../../shared/adapters/audit-write.js';
import type { Written } from '../../shared/adapters/aws/dynamo-table.js';
import type { AuditTrail } from '../../shared/domain/audit-chain.js';
import type { AuditWrite } from '../../shared/ports/store.js';
import type { ItemKey } from '../../shared/table.js';

/**
 * The document model of a DynamoDB table, in memory, for the test adapters of the store ports
 * (`memory-user-store.ts`): items keyed by `pk`/`sk`, a conditional single-item write that
 * refuses with the item its condition saw (ALL_OLD) and answers ALL_NEW or ALL_OLD, and the
 * update actions with DynamoDB's rules (no update below a missing map, no arithmetic on a
 * missing attribute, `undefined` never stored). Every value goes in and out as a deep copy.
 */
export type Doc = Record<string, unknown>;

/** An update DynamoDB refuses whatever its condition (a ValidationException): nothing is written. */
export class InvalidUpdate extends Error {
  override readonly name = 'ValidationException';
}

/** The Map key of an item: its `pk` and `sk` (`shared/table.ts` `keys`). */
export const itemId = (key: ItemKey): string => `${key.pk}|${key.sk}`;

/** What DynamoDB keeps of a value: a deep copy without `undefined` (`removeUndefinedValues`). */
export const stored = <T>(value: T): T => {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(stored) as T;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return Object.fromEntries(entries.map(([name, v]) => [name, stored(v)])) as T;
  }
  return value;
};
/** An expression attribute value: an undefined one is dropped by marshall, then refused. */
export const given = <T>(value: T | undefined): T => {
  if (value === undefined) throw new InvalidUpdate('An expression attribute value is not defined');
  return value;
};

const isMap = (value: unknown): value is Doc =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** The value at a document path (undefined: missing). */
export const at = (doc: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((value, name) => (isMap(value) ? value[name] : undefined), doc);
export const exists = (value: unknown) => value !== undefined;
type Comparable = number | string;
const COMPARE = {
  '=': (x: Comparable, y: Comparable) => x === y,
  '<': (x: Comparable, y: Comparable) => x < y,
  '<=': (x: Comparable, y: Comparable) => x <= y,
  '>': (x: Comparable, y: Comparable) => x > y,
  '>=': (x: Comparable, y: Comparable) => x >= y,
} as const;
/** A DynamoDB comparison: false when the attribute is missing or of another type. */
export const cmp = (a: unknown, op: keyof typeof COMPARE, b: unknown): boolean =>
  a !== undefined && typeof a === typeof b && COMPARE[op](a as Comparable, b as Comparable);

/** The map holding a path's last name: DynamoDB refuses to update below a missing map. */
const parent = (doc: Doc, path: readonly string[]): [Doc, string] => {
  const owner = at(doc, ...path.slice(0, -1));
  if (!isMap(owner)) throw new InvalidUpdate('The document path is invalid for update');
  return [owner, path.at(-1) as string];
};
/** `SET path = value` */
export const set = (doc: Doc, path: readonly string[], value: unknown) => {
  const [owner, name] = parent(doc, path);
  owner[name] = stored(value);
};
/** `REMOVE path` */
export const remove = (doc: Doc, path: readonly string[]) => {
  const [owner, name] = parent(doc, path);
  delete owner[name];
};
/** `ADD path :n` (a missing number counts from 0) */
export const add = (doc: Doc, path: readonly string[], n: number) => {
  const [owner, name] = parent(doc, path);
  const current = owner[name] ?? 0;
  if (typeof current !== 'number') throw new InvalidUpdate('ADD to a non-number');
  owner[name] = current + n;
};
/** An operand of `path - :n`: a missing attribute is refused. */
export const operand = (doc: Doc, path: readonly string[]): number => {
  const value = at(doc, ...path);
  if (typeof value !== 'number') throw new InvalidUpdate('The operand does not exist');
  return value;
};
/** `if_not_exists(path, :v)` */
export const ifNotExists = (doc: Doc, path: readonly string[], value: unknown) =>
  at(doc, ...path) ?? value;

export interface Spec {
  /** The condition, on the item as it is ({} when there is none). */
  readonly when?: (item: Doc) => boolean;
  /** The update: writes `next`, reads operands from `old`. */
  readonly update: (next: Doc, old: Doc) => void;
  /** ALL_OLD instead of ALL_NEW. */
  readonly returnOld?: boolean;
  /** Audit events the write records on the user's chain (as `tableOps` `write`). */
  readonly audit?: AuditWrite;
}

/** The chain part of a write (`chainedSpec` in dynamo-table.ts): its condition and update. */
const chained = (spec: Spec, mode: ChainMode | undefined): Spec => {
  if (!mode) return spec;
  if (mode.kind === 'append') {
    return {
      ...spec,
      // `NOT contains(auditLog, :auditFirst)`
      when: (item) =>
        (spec.when?.(item) ?? true) &&
        !((item.auditLog as string[] | undefined) ?? []).includes(mode.entries[0] as string),
      // `SET auditLog = list_append(if_not_exists(auditLog, :auditNone), :auditNew)`
      update: (next, old) => {
        spec.update(next, old);
        next.auditLog = [...((old.auditLog as string[] | undefined) ?? []), ...mode.entries];
      },
    };
  }
  return {
    ...spec,
    // `auditSeq = :auditSeen` (or absent) `AND size(auditLog) = :auditLength` (or absent at 0)
    when: (item) =>
      (spec.when?.(item) ?? true) &&
      item.auditSeq === mode.read.seq &&
      ((item.auditLog as string[] | undefined)?.length ?? 0) === mode.read.length,
    // `SET auditSeq = :auditSeq, auditHash = :auditHash, auditLog = :auditNone`
    update: (next, old) => {
      spec.update(next, old);
      Object.assign(next, { auditSeq: mode.head.seq, auditHash: mode.head.hash, auditLog: [] });
    },
  };
};

/** One table of items: strongly consistent reads, conditional single-item writes (`tableOps`). */
export const itemTable = (items: Map<string, Doc>) => {
  const strip = <T>(item: Doc): T => {
    const { pk: _pk, sk: _sk, ...rest } = structuredClone(item);
    return rest as T;
  };
  return {
    get: <T>(key: ItemKey): T | undefined => {
      const item = items.get(itemId(key));
      return item ? strip<T>(item) : undefined;
    },
    write: <T extends AuditTrail>(key: ItemKey, spec: Spec): Written<T> => {
      const chain = new ChainWrite(spec.audit, spec.returnOld);
      for (;;) {
        const settled = chain.settle(once<T>(key, chained(spec, chain.mode)));
        if (settled) return settled;
      }
    },
  };
  function once<T>(key: ItemKey, spec: Spec): Written<T> {
    const old = items.get(itemId(key));
    if (spec.when && !spec.when(old ?? {})) {
      return { ok: false, item: old ? strip<T>(old) : undefined };
    }
    const next = structuredClone(old ?? { pk: key.pk, sk: key.sk });
    spec.update(next, old ?? {});
    items.set(itemId(key), next);
    return { ok: true, item: strip<T>(spec.returnOld ? (old ?? {}) : next), recorded: [] };
  }
};
export type ItemTable = ReturnType<typeof itemTable>;
