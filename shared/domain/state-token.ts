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

/** Where a state token points: undefined when it is not one of ours (an unknown token). */
export const parseStateToken = (
  stateToken: string,
): { userRef: string; stateTokenHash: string } | undefined => {
  const [ref, secret, ...rest] = stateToken.split('.');
  if (rest.length > 0 || !ref || !secret || !B64URL_256.test(ref) || !B64URL_256.test(secret))
    return undefined;
  return { userRef: ref, stateTokenHash: hashStateToken(stateToken) };
};
