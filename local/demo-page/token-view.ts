import { byId, timeOf } from './dom.js';

/** One part of a compact JWS, base64url-decoded and parsed. */
const decodePart = (part: string | undefined): unknown => {
  const base64 = (part ?? '').replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (c) =>
    c.charCodeAt(0),
  );
  return JSON.parse(new TextDecoder().decode(bytes));
};

/** The header and claims of a JWS, not verified (the protected routes verify it). */
export const decodeToken = (token: string): { header: unknown; claims: unknown } => {
  const [header, claims] = token.split('.');
  return { header: decodePart(header), claims: decodePart(claims) };
};

/**
 * Shows the token's header and claims, and when its MFA happened: how long `/demo/cats`
 * (MFA within the last `catsMaxAgeSeconds`) accepts it.
 */
export const showToken = (token: string, catsMaxAgeSeconds: number | undefined): void => {
  const { header, claims } = decodeToken(token);
  byId('token-header').textContent = JSON.stringify(header, null, 2);
  byId('token-claims').textContent = JSON.stringify(claims, null, 2);
  byId('token-none').hidden = true;
  byId('token-decoded').hidden = false;
  const authTime = (claims as { auth_time?: unknown }).auth_time;
  const mfaTime = byId('mfa-time');
  if (typeof authTime !== 'number') {
    mfaTime.textContent = 'This token carries no auth_time: nobody authenticated (an exemption).';
  } else if (catsMaxAgeSeconds === undefined) {
    mfaTime.textContent = `MFA at ${timeOf(authTime)}.`;
  } else {
    mfaTime.textContent = `MFA at ${timeOf(authTime)}: /demo/cats accepts this token until ${timeOf(authTime + catsMaxAgeSeconds)}.`;
  }
};
