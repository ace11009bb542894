import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The canonical forms of API.md "Receipts", so that anyone can recompute them without this
 * project's code: JCS (RFC 8785), SHA-256, base64url without padding.
 */
export const jcs = (value: unknown): string => {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('Not canonicalizable');
  return text;
};

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();
