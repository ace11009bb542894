/** A factor is locked until `lockedUntil` (epoch seconds) after too many wrong codes in a row. */
export const isLocked = (factor: { lockedUntil?: number }, nowSeconds: number): boolean =>
  factor.lockedUntil !== undefined && factor.lockedUntil > nowSeconds;
