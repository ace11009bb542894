import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClientStore } from '../adapters/aws/dynamo-clients.js';
import { dynamoFactorStore } from '../adapters/aws/dynamo-factors.js';
import { dynamoAuditStore, dynamoPolicyStateStore } from '../adapters/aws/dynamo-policy-state.js';
import { dynamoRateLimiter } from '../adapters/aws/dynamo-rates.js';
import { type TableOps, tableOps } from '../adapters/aws/dynamo-table.js';
import { dynamoTransactionStore } from '../adapters/aws/dynamo-transactions.js';
import { oneClient, type Part, type PartContext } from '../deps.js';

/**
 * The DynamoDB parts: the service table's stores, one per kind of item a function may touch
 * (the `clients:*`, `users:*` and `rates:*` access of `infra/permissions.ts`).
 */
const client = oneClient(() => new DynamoDBClient({}));

/** The injected client (`overrideDeps({ ddb })`: the local runtime's), else this process's. */
export const dynamoClient = (context: PartContext): DynamoDBClient => context.ddb ?? client();

/** The service table over `dynamoClient` (the envelope signer's key item lives there too). */
export const serviceTable = (context: PartContext): TableOps =>
  tableOps(dynamoClient(context), context.config.TABLE_NAME);

/** `CLIENT#` items: the app authentication of every `/v1` route (`auth: 'client'`). */
export const clientStore: Part = {
  name: 'clientStore',
  provides: {
    ddb: dynamoClient,
    clients: (context) => dynamoClientStore(serviceTable(context)),
  },
};

/** The `USER#` item: a user's factors and transactions. */
export const userStore: Part = {
  name: 'userStore',
  provides: {
    ddb: dynamoClient,
    factors: (context) => dynamoFactorStore(serviceTable(context)),
    transactions: (context) => dynamoTransactionStore(serviceTable(context)),
    policyStates: (context) => dynamoPolicyStateStore(serviceTable(context)),
    audits: (context) => dynamoAuditStore(serviceTable(context)),
  },
};

/** `RATE#` items: send limits. */
export const rateLimiter: Part = {
  name: 'rateLimiter',
  provides: {
    ddb: dynamoClient,
    rates: (context) => dynamoRateLimiter(serviceTable(context)),
  },
};
