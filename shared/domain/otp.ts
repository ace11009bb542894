import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Random } from '../ports/random.js';

/** A one-time code of `digits` decimal digits, uniform, from the CSPRNG. */
export const newOtp = (random: Random, digits: number): string =>
  String(random.int(0, 10 ** digits)).padStart(digits, '0');

/**
 * The only form in which a code is stored or passed on: an HMAC under the server-side key,
 * bound to what it is for (purpose and binding: e.g. the transaction and factor), so a code
 * is good only where it was issued.
 */
export const otpMac = (
  key: Uint8Array,
  purpose: 'activation' | 'challenge' | 'pin' | 'recovery',
  binding: string,
  code: string,
): string =>
  createHmac('sha256', key).update(`${purpose}\0${binding}\0${code}`).digest('base64url');

/** Constant-time equality of two MACs. */
export const macEquals = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** Binding of a challenge code: the transaction (state token hash) and the factor. */
export const challengeBinding = (stateTokenHash: string, factorId: string) =>
  `${stateTokenHash}:${factorId}`;

/** Keyed hash of a destination (phone/email) for duplicate checks and rate-limit keys. */
export const destinationHash = (key: Uint8Array, destination: string): string =>
  createHmac('sha256', key).update(`destination\0${destination}`).digest('base64url').slice(0, 32);

/**
 * The TOTP step whose code has the submitted MAC (current step ±1), compared in constant
 * time; `undefined` if none. `afterStep`: steps up to it were used already (replay).
 */
export const matchTotpStep = (args: {
  candidates: readonly { step: number; code: string }[];
  key: Uint8Array;
  purpose: 'activation' | 'challenge';
  binding: string;
  submittedMac: string;
  afterStep?: number;
}): number | undefined => {
  let matched: number | undefined;
  for (const { step, code } of args.candidates) {
    if (macEquals(otpMac(args.key, args.purpose, args.binding, code), args.submittedMac))
      matched = step;
  }
  return matched !== undefined && (args.afterStep === undefined || matched > args.afterStep)
    ? matched
    : undefined;
};
