import { clientSecretMatches, parseBasicAuth } from '../domain/client-secret.js';
import type { ClientRecord } from '../domain/entities.js';
import { MfaError } from '../errors.js';
import type { ClientStore } from '../ports/store.js';

const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
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

/**
 * Authenticates the calling app from `Authorization: Basic`. Found client records are cached
 * for `cacheSeconds` in a warm function, so a deleted client can keep working for that long;
 * a rotated secret takes effect at once (a mismatch re-reads the record).
 */
export const authenticateClient = async (
  header: string | undefined,
  store: ClientStore,
  nowMs: number,
  cacheSeconds: number,
): Promise<string> => {
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
  return clientId;
};

/** Forgets cached client records (tests; a rotated secret in the local runtime). */
export const clearClientCache = (): void => cache.clear();
