import { CLIENT_ID, clientSecretMatches, parseBasicAuth } from '../domain/client-secret.js';
import type { ClientRecord } from '../domain/entities.js';
import type { Policy } from '../domain/policy/index.js';
import { MfaError } from '../errors.js';
import type { ClientStore } from '../ports/store.js';

const cache = new Map<string, { record: ClientRecord; fetchedAtMs: number }>();

const invalidClient = () =>
  new MfaError(
    'invalid_client',
    'Client authentication failed',
    {},
    {
      'www-authenticate': 'Basic realm="mfa"',
    },
  );

/** The calling app, as its (cached) record says: what a request may know of it. */
export interface AuthenticatedClient {
  readonly clientId: string;
  /** The app's own policy; absent when it has none (the deployment default then applies). */
  readonly policy?: Policy;
}

/**
 * Authenticates the calling app from `Authorization: Basic`. Found client records are cached
 * for `cacheSeconds` in a warm function, so a deleted client can keep working for that long;
 * a rotated secret takes effect at once (a mismatch re-reads the record). The app's policy
 * comes from the same record, so starting a transaction costs no read of its own; a changed
 * policy, like a deleted client, takes effect within `cacheSeconds`.
 *
 * @example
 * const { clientId, policy } = await authenticateClient(header, clients, nowMs, 60);
 */
export const authenticateClient = async (
  header: string | undefined,
  store: ClientStore,
  nowMs: number,
  cacheSeconds: number,
): Promise<AuthenticatedClient> => {
  const credentials = parseBasicAuth(header);
  if (!credentials || !CLIENT_ID.test(credentials.clientId)) throw invalidClient();
  const { clientId, clientSecret } = credentials;
  const load = async () => {
    const record = await store.get(clientId);
    if (!record) {
      cache.delete(clientId);
      throw invalidClient();
    }
    const entry = { record, fetchedAtMs: nowMs };
    cache.set(clientId, entry);
    return entry;
  };
  const matches = (record: ClientRecord) =>
    clientSecretMatches(clientSecret, record.salt, record.secretHash);

  const cached = cache.get(clientId);
  const usable = cached && nowMs - cached.fetchedAtMs < cacheSeconds * 1000;
  let entry = usable ? cached : await load();
  // A mismatch against a cached record may be a rotated secret: read it once more.
  if (!matches(entry.record) && entry === cached) entry = await load();
  if (!matches(entry.record)) throw invalidClient();
  const { policy } = entry.record;
  return policy === undefined ? { clientId } : { clientId, policy };
};

/** Forgets cached client records (tests; a rotated secret in the local runtime). */
export const clearClientCache = (): void => cache.clear();
