/**
 * The DynamoDB table: one table, generic keys (single-table design). The CDK stack declares
 * it from these names, and the local runtime creates it from the synthesized template.
 *
 * | item          | pk                          | sk            |
 * |---------------|-----------------------------|---------------|
 * | app client    | `CLIENT#<clientId>`         | `CLIENT`      |
 * | user factors  | `USER#<clientId>#<userId>`  | `FACTORS`     |
 * | transaction   | `TXN#<sha256(stateToken)>`  | `TXN`         |
 * | rate counter  | `RATE#<key>`                | `<window>`    |
 *
 * Items that should disappear carry `ttl` (epoch seconds). Expiry is always enforced by
 * timestamps on read; TTL only cleans up (and the local server never deletes).
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

export const keys = {
  client: (clientId: string): ItemKey => ({ pk: `CLIENT#${clientId}`, sk: 'CLIENT' }),
  userFactors: (clientId: string, userId: string): ItemKey => ({
    pk: `USER#${clientId}#${userId}`,
    sk: 'FACTORS',
  }),
  transaction: (stateTokenHash: string): ItemKey => ({ pk: `TXN#${stateTokenHash}`, sk: 'TXN' }),
  rate: (key: string, window: number): ItemKey => ({ pk: `RATE#${key}`, sk: String(window) }),
} as const;
