/** Port: persistence. The AWS adapter is DynamoDB; the local runtime uses the same adapter. */
export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  /** hex SHA-256 of salt || secret */
  readonly secretHash: string;
  readonly salt: string;
}

export interface FactorRecord {
  readonly clientId: string;
  readonly userId: string;
  readonly factorId: string;
  readonly type: 'sms' | 'email' | 'totp';
  readonly status: 'PENDING_ACTIVATION' | 'ACTIVE';
  readonly createdAt: string;
}

export interface TransactionRecord {
  readonly transactionId: string;
  readonly stateTokenHash: string;
  readonly clientId: string;
  readonly userId: string;
  readonly status: 'MFA_ENROLL' | 'MFA_REQUIRED';
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly context?: Record<string, string>;
  readonly transaction?: { amount: string; currency: string; payee: string };
  readonly consentId?: string;
  /** epoch seconds: when DynamoDB TTL may delete the item */
  readonly ttl: number;
}

export interface Store {
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  putClient(client: ClientRecord): Promise<void>;
  listFactors(clientId: string, userId: string): Promise<FactorRecord[]>;
  /** Creates a transaction; fails if one already exists under the same state token hash. */
  createTransaction(record: TransactionRecord): Promise<void>;
  getTransaction(stateTokenHash: string): Promise<TransactionRecord | undefined>;
}
