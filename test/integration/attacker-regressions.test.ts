import { createHmac, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeFactor,
  challenge,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  testClock,
  unique,
  verify,
} from '../support/flows.js';
import { basicAuth, startTestRuntime } from '../support/local.js';
import { b64url, signRaw } from '../support/mfa-tokens.js';

/**
 * Forged MFA tokens, over HTTP, against both places that verify them: the authorizer of
 * `GET /demo/dogs` and the `X-MFA-Token` of a factor change (FACTOR_CHANGE_MAX_AGE_SECONDS on).
 * Each forgery starts from a real token of the victim, so its one defect is the forgery.
 * Tokens signed with the service's own key (read from the local key file) isolate a header or
 * claim check: a re-signed, unmodified copy passes (the control below).
 */
const clock = testClock();
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;
/** Serves the attacker's JWKS on any path; a request here means a token header was followed. */
let attackerServer: Server;
let attackerUrl: string;
const attackerHits: string[] = [];

const victim = unique('victim');
const victimEmail = `${victim}@example.com`;
let realToken: string;
let kid: string;
let claims: Record<string, unknown>;
let serviceJwk: JWK;
let serviceKey: CryptoKey;
let attackerKey: CryptoKey;
let attackerJwk: JWK;

beforeAll(async () => {
  runtime = await startTestRuntime({ clock, env: { FACTOR_CHANGE_MAX_AGE_SECONDS: '300' } });
  base = runtime.url;
  const pair = await generateKeyPair('ES256', { extractable: true });
  attackerKey = pair.privateKey;
  attackerJwk = { ...(await exportJWK(pair.publicKey)), kid: 'attacker-1', alg: 'ES256' };
  attackerServer = createServer((req, res) => {
    attackerHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [attackerJwk] }));
  });
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}`;

  const factorId = await activeFactor(base, victim, 'email', victimEmail);
  const { stateToken } = await startAuthn(base, { userId: victim });
  expect((await challenge(base, stateToken, factorId)).status).toBe(200);
  const verified = await verify(base, stateToken, factorId, await lastCode(base, victimEmail));
  expect(verified.status).toBe(200);
  realToken = (await json(verified)).token;
  kid = decodeProtectedHeader(realToken).kid as string;
  claims = decodeJwt(realToken) as Record<string, unknown>;

  const jwks = await json(await fetch(`${base}/.well-known/jwks.json`));
  serviceJwk = jwks.keys.find((key: JWK) => key.kid === kid);
  const keyFile = path.join(process.env.LOCAL_KEY_DIR as string, 'signing-keys.json');
  const stored = JSON.parse(await readFile(keyFile, 'utf8')) as {
    keys: { kid: string; privateJwk: JWK }[];
  };
  const privateJwk = stored.keys.find((key) => key.kid === kid)?.privateJwk as JWK;
  serviceKey = (await importJWK(privateJwk, 'ES256', { extractable: true })) as CryptoKey;
});
afterAll(async () => {
  await runtime?.close();
  await new Promise((resolve) => attackerServer?.close(resolve));
});

const header = (extra: Record<string, unknown> = {}) => ({
  alg: 'ES256',
  typ: 'mfa+jwt',
  kid,
  ...extra,
});
const parts = () => realToken.split('.') as [string, string, string];
/** The real token signed again with the service key: a forgery with no defect. */
const resigned = () => {
  const [head, payload] = parts()
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return byService(head, payload);
};
const hs256 = (secret: string, keyId: string = kid) => {
  const input = `${b64url({ alg: 'HS256', typ: 'mfa+jwt', kid: keyId })}.${parts()[1]}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};
/** The P-256 group order: (r, s) and (r, n − s) both verify. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/**
 * ES256 in the low-S form (s ≤ n/2), so a service that accepts only that form refuses these
 * tokens for the defect under test, not for a high s that node:crypto emits half the time.
 */
const signLowS = (key: CryptoKey, head: Record<string, unknown>, payload: object) => {
  const [h, p, signature] = signRaw(key, head, payload as Record<string, unknown>).split('.');
  const bytes = Buffer.from(signature as string, 'base64url');
  let sValue = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  if (sValue > P256_N / 2n) sValue = P256_N - sValue;
  const sBytes = Buffer.from(sValue.toString(16).padStart(64, '0'), 'hex');
  return `${h}.${p}.${Buffer.concat([bytes.subarray(0, 32), sBytes]).toString('base64url')}`;
};
const byService = (head: Record<string, unknown>, payload: object = claims) =>
  signLowS(serviceKey, head, payload);
const byAttacker = (head: Record<string, unknown>) => signLowS(attackerKey, head, claims);
const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);

type Target = 'authorizer' | 'x-mfa-token';
const both: Target[] = ['authorizer', 'x-mfa-token'];
const forgeries: [string, () => string, Target[]][] = [
  ['alg none, empty signature', () => `${b64url(header({ alg: 'none' }))}.${parts()[1]}.`, both],
  [
    'alg None, real signature kept',
    () => `${b64url(header({ alg: 'None' }))}.${parts()[1]}.${parts()[2]}`,
    both,
  ],
  ['HS256 keyed with the served public JWK (JSON)', () => hs256(JSON.stringify(serviceJwk)), both],
  [
    'HS256 keyed with the public key PEM',
    () =>
      hs256(
        createPublicKey({ key: serviceJwk as never, format: 'jwk' })
          .export({ type: 'spki', format: 'pem' })
          .toString(),
      ),
    both,
  ],
  [
    'the real token re-headed with jku (signature kept)',
    () => `${b64url(header({ jku: `${attackerUrl}/jwks.json` }))}.${parts()[1]}.${parts()[2]}`,
    both,
  ],
  [
    'jku to the attacker JWKS, attacker kid',
    () => byAttacker(header({ kid: 'attacker-1', jku: `${attackerUrl}/jwks.json` })),
    both,
  ],
  [
    'jku to the attacker JWKS, service kid',
    () => byAttacker(header({ jku: `${attackerUrl}/jwks.json` })),
    both,
  ],
  [
    'jwk: the attacker key embedded, attacker kid',
    () => byAttacker(header({ kid: 'attacker-1', jwk: attackerJwk })),
    both,
  ],
  [
    'jwk: the attacker key embedded, service kid',
    () => byAttacker(header({ jwk: attackerJwk })),
    both,
  ],
  [
    'x5u to the attacker server',
    () => byAttacker(header({ kid: 'attacker-1', x5u: `${attackerUrl}/cert.pem` })),
    both,
  ],
  ["HS256 with kid '/dev/null' and an empty key", () => hs256('', '/dev/null'), both],
  ['unknown kid', () => byAttacker(header({ kid: 'no-such-key' })), both],
  ["kid '../'", () => byAttacker(header({ kid: '../' })), both],
  [
    'kid pointing at the key file',
    () => byAttacker(header({ kid: '../keys/signing-keys.json' })),
    both,
  ],
  [
    'kid of 4000 characters (service key)',
    () => byService(header({ kid: 'k'.repeat(4000) })),
    both,
  ],
  ['kid as a number (service key)', () => byService(header({ kid: 1 })), both],
  [
    'kid as an array holding the real kid (service key)',
    () => byService(header({ kid: [kid] })),
    both,
  ],
  ["the attacker's key with the service's kid", () => byAttacker(header()), both],
  [
    'payload re-pointed at another sub (signature kept)',
    () => `${parts()[0]}.${b64url({ ...claims, sub: 'admin' })}.${parts()[2]}`,
    both,
  ],
  ['typ JWT (service key)', () => byService(header({ typ: 'JWT' })), both],
  ['no typ (service key)', () => byService({ alg: 'ES256', kid }), both],
  [
    'iss of another issuer (service key)',
    () => byService(header(), { ...claims, iss: attackerUrl }),
    both,
  ],
  // The authorizer's expiry is covered over HTTP by demo-authorizer.test.ts ("a token past exp").
  [
    'expired beyond the 60 s skew (service key)',
    () => byService(header(), { ...claims, iat: nowSeconds() - 1000, exp: nowSeconds() - 61 }),
    ['x-mfa-token'],
  ],
];

const dogs = (token: string) =>
  fetch(`${base}/demo/dogs`, { headers: { authorization: `Bearer ${token}` } });
/** A factor change of the victim (who has an active factor): it needs their MFA token. */
const enrollWith = (token: string) =>
  fetch(`${base}/v1/users/${victim}/factors`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(),
      'content-type': 'application/json',
      'x-mfa-token': token,
    },
    body: JSON.stringify({ type: 'totp' }),
  });

describe('forged MFA tokens', () => {
  it('control: the real token and a re-signed unmodified copy pass the authorizer', async () => {
    expect((await dogs(realToken)).status).toBe(200);
    expect((await dogs(resigned())).status).toBe(200);
  });

  it.each(forgeries.filter(([, , targets]) => targets.includes('authorizer')))(
    'GET /demo/dogs with %s → 401 invalid_token and the Bearer challenge',
    async (_name, forge) => {
      const response = await dogs(forge());
      await expectProblem(response, 401, 'invalid_token');
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    },
  );

  it.each(forgeries.filter(([, , targets]) => targets.includes('x-mfa-token')))(
    'X-MFA-Token with %s → 401 invalid_token',
    async (_name, forge) => {
      await expectProblem(await enrollWith(forge()), 401, 'invalid_token');
    },
  );

  it('no forgery added a factor; the re-signed copy (control) does, and the real token still passes', async () => {
    const list = await json(
      await fetch(`${base}/v1/users/${victim}/factors`, {
        headers: { authorization: basicAuth() },
      }),
    );
    expect(list.factors.map((factor: { type: string }) => factor.type)).toEqual(['email']);
    // One change only: a step-up token may be good for the changes of one factor.
    expect((await enrollWith(resigned())).status).toBe(201);
    expect((await dogs(realToken)).status).toBe(200);
  });

  it('no key or certificate URL named in a token header was ever fetched', () => {
    expect(attackerHits).toEqual([]);
  });
});
