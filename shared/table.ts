/**
 * The DynamoDB table definition, shared by the CDK stack and the local runtime so both
 * create the same table. One table, generic keys (single-table design):
 *
 * | item        | pk                          | sk              |
 * |-------------|-----------------------------|-----------------|
 * | app client  | `CLIENT#<clientId>`         | `CLIENT`        |
 * | factor      | `USER#<clientId>#<userId>`  | `FACTOR#<id>`   |
 * | transaction | `TXN#<sha256(stateToken)>`  | `TXN`           |
 *
 * Every item that should disappear carries `ttl` (epoch seconds). Expiry is always enforced
 * by timestamps on read; TTL only cleans up (and the local server never deletes).
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
} as const;

export const keys = {
  client: (clientId: string) => ({ pk: `CLIENT#${clientId}`, sk: 'CLIENT' }),
  userFactors: (clientId: string, userId: string) => `USER#${clientId}#${userId}`,
  transaction: (stateTokenHash: string) => ({ pk: `TXN#${stateTokenHash}`, sk: 'TXN' }),
} as const;
