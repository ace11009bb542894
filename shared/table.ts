import { userRef } from './domain/state-token.js';

/**
 * The DynamoDB table: one table, generic keys (single-table design). The CDK stack declares
 * it from these names, and the local runtime creates it from the synthesized template.
 *
 * | item          | pk                           | sk         |
 * |---------------|------------------------------|------------|
 * | app client    | `CLIENT#<clientId>`          | `CLIENT`   |
 * | user          | `USER#<clientId>#<userRef>`  | `USER`     |
 * | rate counter  | `RATE#<key>`                 | `<window>` |
 *
 * The user item holds the user's factors and their live authentication transactions
 * (`txns`, keyed by the SHA-256 of the state token), so a transaction step and the factor's
 * counters change in one conditional write. `userRef` is the SHA-256 of the user id.
 * Items that should disappear carry `ttl` (epoch seconds); transactions inside a user item
 * are pruned when the next one starts. Expiry is always enforced by timestamps on read; TTL
 * only cleans up (and the local server never deletes).
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
} as const;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

const userKey = (clientId: string, ref: string): ItemKey => ({
  pk: `USER#${clientId}#${ref}`,
  sk: 'USER',
});

export const keys = {
  client: (clientId: string): ItemKey => ({ pk: `CLIENT#${clientId}`, sk: 'CLIENT' }),
  user: userKey,
  userFactors: (clientId: string, userId: string): ItemKey => userKey(clientId, userRef(userId)),
  rate: (key: string, window: number): ItemKey => ({ pk: `RATE#${key}`, sk: String(window) }),
} as const;
