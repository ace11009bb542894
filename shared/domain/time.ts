export const HOUR_SECONDS = 3600;
export const DAY_SECONDS = 86_400;

/** Epoch seconds → RFC 3339 UTC, as response bodies carry times. */
export const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

/** Seconds until the next clock hour (the `Retry-After` of an hourly rate limit). */
export const secondsToNextHour = (nowSeconds: number): number =>
  HOUR_SECONDS - (nowSeconds % HOUR_SECONDS);
