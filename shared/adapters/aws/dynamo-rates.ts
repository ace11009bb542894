import type { RateLimiter } from '../../ports/store.js';
import { keys } from '../../table.js';
import type { TableOps } from './dynamo-table.js';

/** Fixed-window counters: one item per key and window, `ADD` under a `count < limit` condition. */
export const dynamoRateLimiter = (table: TableOps): RateLimiter => {
  const windowOf = (windowSeconds: number, nowSeconds: number) =>
    Math.floor(nowSeconds / windowSeconds) * windowSeconds;
  return {
    consume: async (key, limit, windowSeconds, nowSeconds) => {
      const window = windowOf(windowSeconds, nowSeconds);
      const counted = await table.update(keys.rate(key, window), {
        update: 'ADD #count :one SET #ttl = :ttl',
        condition: 'attribute_not_exists(#count) OR #count < :limit',
        names: { '#count': 'count', '#ttl': 'ttl' },
        values: { ':one': 1, ':limit': limit, ':ttl': window + 2 * windowSeconds },
      });
      return counted !== undefined;
    },
    release: async (key, windowSeconds, nowSeconds) => {
      await table.update(keys.rate(key, windowOf(windowSeconds, nowSeconds)), {
        update: 'ADD #count :minus',
        condition: '#count > :zero',
        names: { '#count': 'count' },
        values: { ':minus': -1, ':zero': 0 },
      });
    },
  };
};
