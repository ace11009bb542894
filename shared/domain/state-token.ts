import { createHash } from 'node:crypto';
import type { Random } from '../ports/random.js';

/** 256-bit opaque state token (base64url); only its SHA-256 is ever stored or passed on. */
export const STATE_TOKEN_BYTES = 32;

export const newStateToken = (random: Random): string =>
  random.bytes(STATE_TOKEN_BYTES).toString('base64url');

export const hashStateToken = (stateToken: string): string =>
  createHash('sha256').update(stateToken).digest('hex');
