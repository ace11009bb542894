import type { ScaCategory } from './mfa-token.js';

/** The level a transaction must reach (API.md v1.1 "Start ... what the policy decides"). */
export type Level = 'mfa' | 'sca';

const ALL: readonly ScaCategory[] = ['knowledge', 'possession', 'inherence'];

/**
 * What a transaction still needs: for `mfa`, any verified factor; for `sca`, two distinct SCA
 * categories, the app's own sign-in (`primaryAuth`) included. `categories` lists those that
 * would still count (empty once met, and for `mfa`).
 */
export const stillNeeded = (level: Level, proven: readonly ScaCategory[]): ScaCategory[] => {
  const distinct = new Set(proven);
  return level === 'sca' && distinct.size < 2 ? ALL.filter((c) => !distinct.has(c)) : [];
};

/** Whether the level is met once a factor has been verified. */
export const levelMet = (level: Level, proven: readonly ScaCategory[]): boolean =>
  level === 'mfa' || new Set(proven).size >= 2;

/**
 * Whether a factor proving `categories` brings the transaction closer: for `mfa` any factor;
 * for `sca` one that proves a category not proven yet (a second possession factor after an
 * SMS code does not).
 */
export const factorHelps = (
  level: Level,
  proven: readonly ScaCategory[],
  categories: readonly ScaCategory[],
): boolean => level === 'mfa' || categories.some((category) => !proven.includes(category));

/** The union of two lists, in first-seen order. */
export const union = <T>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])];
