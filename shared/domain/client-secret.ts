import { nodeCrypto } from '../node-crypto.js';

/** What a client id may be (the client CLI creates, the API accepts, `MfaAuthorizer` lists). */
export const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * App client secrets are stored as salted SHA-256. Secrets the service issues are 256-bit
 * random values, so a fast hash is enough (as for API keys); a slow KDF would only add
 * latency to every call. Comparison is constant-time.
 */
export const hashClientSecret = (secret: string, salt: string): string =>
  nodeCrypto().createHash('sha256').update(salt).update('\0').update(secret).digest('hex');

export const clientSecretMatches = (secret: string, salt: string, expectedHex: string): boolean => {
  const actual = Buffer.from(hashClientSecret(secret, salt), 'hex');
  const expected = Buffer.from(expectedHex, 'hex');
  return actual.length === expected.length && nodeCrypto().timingSafeEqual(actual, expected);
};

/** Parses `Authorization: Basic base64(id:secret)`; `undefined` when absent or malformed. */
export const parseBasicAuth = (
  header: string | undefined,
): { clientId: string; clientSecret: string } | undefined => {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
};
