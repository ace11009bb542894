import { createHash } from 'node:crypto';
import type { Random } from '../ports/random.js';

/**
 * State tokens: `<userRef>.<secret>`, both base64url. The secret is 256 bits from the CSPRNG;
 * `userRef` (the SHA-256 of the user id) names the item that holds the user's factors and
 * transactions, so every step reads or writes that one item. Only the SHA-256 of the whole
 * token is stored or passed on.
 */
export const STATE_TOKEN_BYTES = 32;

const B64URL_256 = /^[A-Za-z0-9_-]{43}$/;

/** The user's reference: SHA-256 of the user id, base64url (the id itself never leaves the app). */
export const userRef = (userId: string): string =>
  createHash('sha256').update(userId).digest('base64url');

export const newStateToken = (random: Random, userId: string): string =>
  `${userRef(userId)}.${random.bytes(STATE_TOKEN_BYTES).toString('base64url')}`;

export const hashStateToken = (stateToken: string): string =>
  createHash('sha256').update(stateToken).digest('hex');

/**
 * The transaction id of a state token: a UUID (version 4 layout) made from the SHA-256 of the
 * token's hash, so a step that writes before it reads (a challenge, a cancel) knows the id it
 * records in the audit chain. One way: the id, which the app sees, tells nothing of the token.
 */
export const transactionIdOf = (stateTokenHash: string): string => {
  const b = createHash('sha256').update(`transaction-id:${stateTokenHash}`).digest();
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Where a state token points: undefined when it is not one of ours (an unknown token). */
export const parseStateToken = (
  stateToken: string,
): { userRef: string; stateTokenHash: string } | undefined => {
  const [ref, secret, ...rest] = stateToken.split('.');
  if (rest.length > 0 || !ref || !secret || !B64URL_256.test(ref) || !B64URL_256.test(secret))
    return undefined;
  return { userRef: ref, stateTokenHash: hashStateToken(stateToken) };
};
