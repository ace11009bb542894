import {
  createHmac,
  createPublicKey,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type KeySource, staticKeySource } from '../../shared/authz/jwks-source.js';
import {
  createMfaTokenVerifier,
  InvalidTokenError,
  type InvalidTokenReason,
} from '../../shared/authz/token-verifier.js';
import { MAX_TOKEN_TTL_SECONDS } from '../../shared/domain/mfa-token.js';
import {
  AUDIENCE,
  b64url,
  createTestIssuer,
  defaultClaims,
  ISSUER,
  KID,
  NOW_SECONDS,
  signRaw,
  type TestIssuer,
} from '../support/mfa-tokens.js';

/** The P-256 order, written here independently of the code under test. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const fixed = (value: bigint) => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
const signatureOf = (token: string) => Buffer.from(token.split('.')[2] ?? '', 'base64url');
const sOf = (token: string) => BigInt(`0x${signatureOf(token).subarray(32).toString('hex')}`);
/** The token with another raw `r || s` signature. */
const withSignature = (token: string, r: Buffer, s: Buffer) =>
  `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.concat([r, s]).toString('base64url')}`;
/** The other valid form of the token's signature, (r, n − s): computable without the key. */
const twinOf = (token: string) =>
  withSignature(token, signatureOf(token).subarray(0, 32), fixed(N - sOf(token)));
const isHighS = (token: string) => sOf(token) > N / 2n;
/** jose (WebCrypto) signs either form at random; our signers, and these tests, the low one. */
const lowS = (raw: TestIssuer): TestIssuer => ({
  ...raw,
  sign: async (claims, header) => {
    const token = await raw.sign(claims, header);
    return isHighS(token) ? twinOf(token) : token;
  },
});

let rawIssuer: TestIssuer;
let issuer: TestIssuer;
let foreign: TestIssuer;

beforeAll(async () => {
  rawIssuer = await createTestIssuer();
  issuer = lowS(rawIssuer);
  foreign = lowS(await createTestIssuer(KID)); // another key pair claiming the same kid
});

/** A KeySource over the issuer's JWKS that counts lookups. */
const countingKeys = () => {
  const inner = staticKeySource(issuer.jwks);
  const source = {
    lookups: 0,
    getKey: (kid: string) => {
      source.lookups++;
      return inner.getKey(kid);
    },
  };
  return source;
};

const setup = (
  options: { keys?: KeySource; cacheSize?: number; audiences?: string[] | '*' } = {},
) => {
  const clock = { nowMs: NOW_SECONDS * 1000 };
  const keys = options.keys ?? staticKeySource(issuer.jwks);
  const verifier = createMfaTokenVerifier({
    issuer: ISSUER,
    audiences: options.audiences ?? [AUDIENCE],
    keys,
    now: () => clock.nowMs,
    ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
  });
  return { clock, verifier };
};

const refusal = async (promise: Promise<unknown>): Promise<InvalidTokenReason> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect((error as InvalidTokenError).code).toBe('invalid_token');
  return (error as InvalidTokenError).reason;
};

const parts = (token: string) => token.split('.') as [string, string, string];

describe('MFA token verifier: retired keys', () => {
  it('accepts what a retired key signed before it retired, refuses what it signed after (a leaked key)', async () => {
    const retiredAt = NOW_SECONDS - 100;
    const keys = staticKeySource({ keys: [{ ...issuer.publicJwk, retired_at: retiredAt } as JWK] });
    const { verifier } = setup({ keys });
    const before = await issuer.sign({ iat: retiredAt - 30, auth_time: retiredAt - 30 });
    await expect(verifier.verify(before)).resolves.toBeDefined();
    // Within the 60 s skew of the retirement: a warm signer's last token.
    const edge = await issuer.sign({ iat: retiredAt + 60, auth_time: retiredAt + 60 });
    await expect(verifier.verify(edge)).resolves.toBeDefined();
    const after = await issuer.sign({ iat: retiredAt + 61, auth_time: retiredAt + 61 });
    expect(await refusal(verifier.verify(after))).toBe('retired');
  });

  it('refuses what a leaked retired key backdates: a year-long token, an auth_time after iat', async () => {
    const retiredAt = NOW_SECONDS - 100;
    const keys = staticKeySource({ keys: [{ ...issuer.publicJwk, retired_at: retiredAt } as JWK] });
    const { verifier } = setup({ keys });
    const iat = retiredAt - 30;
    // iat before the retirement, but good for a year: longer than any token the service signs.
    const longLived = await issuer.sign({ iat, auth_time: iat, exp: NOW_SECONDS + 365 * 86_400 });
    expect(await refusal(verifier.verify(longLived))).toBe('lifetime');
    // A normal life, but claiming an authentication now (to pass a route's max age).
    const lateAuth = await issuer.sign({ iat, auth_time: NOW_SECONDS, exp: iat + 900 });
    expect(await refusal(verifier.verify(lateAuth))).toBe('claims');
  });
});

describe('MFA token verifier: lifetime and auth_time bounds', () => {
  it('accepts exp - iat up to MAX_TOKEN_TTL_SECONDS (+ skew) and auth_time up to iat (+ skew)', async () => {
    const { verifier } = setup();
    const longest = NOW_SECONDS + MAX_TOKEN_TTL_SECONDS + 60;
    await expect(verifier.verify(await issuer.sign({ exp: longest }))).resolves.toBeDefined();
    expect(await refusal(verifier.verify(await issuer.sign({ exp: longest + 1 })))).toBe(
      'lifetime',
    );
    const authEdge = await issuer.sign({ iat: NOW_SECONDS - 100, auth_time: NOW_SECONDS - 40 });
    await expect(verifier.verify(authEdge)).resolves.toBeDefined();
    const authLate = await issuer.sign({ iat: NOW_SECONDS - 100, auth_time: NOW_SECONDS - 39 });
    expect(await refusal(verifier.verify(authLate))).toBe('claims');
  });

  it('maxLifetimeSeconds narrows the bound', async () => {
    const verifier = createMfaTokenVerifier({
      issuer: ISSUER,
      audiences: [AUDIENCE],
      keys: staticKeySource(issuer.jwks),
      now: () => NOW_SECONDS * 1000,
      maxLifetimeSeconds: 900,
    });
    await expect(verifier.verify(await issuer.sign({}))).resolves.toBeDefined();
    const long = await issuer.sign({ exp: NOW_SECONDS + 961 });
    expect(await refusal(verifier.verify(long))).toBe('lifetime');
  });
});

describe('MFA token verifier: valid tokens', () => {
  it('returns the claims of a valid token', async () => {
    const { verifier } = setup();
    const claims = await verifier.verify(await issuer.sign({ consent_id: 'c-1' }));
    expect(claims).toMatchObject({ ...defaultClaims(), consent_id: 'c-1' });
    expect(Object.isFrozen(claims)).toBe(true);
    expect(Object.isFrozen(claims.amr)).toBe(true);
  });

  it("compares typ case-insensitively and accepts the 'application/' prefix (RFC 7515)", async () => {
    const { verifier } = setup();
    await expect(verifier.verify(await issuer.sign({}, { typ: 'MFA+JWT' }))).resolves.toBeDefined();
    const long = await issuer.sign({}, { typ: 'application/mfa+jwt' });
    await expect(verifier.verify(long)).resolves.toBeDefined();
  });

  it("accepts any non-empty aud with audiences '*', and only listed ones otherwise", async () => {
    const other = await issuer.sign({ aud: 'app-2' });
    await expect(setup({ audiences: '*' }).verifier.verify(other)).resolves.toBeDefined();
    expect(await refusal(setup().verifier.verify(other))).toBe('aud');
    const empty = await issuer.sign({ aud: '' });
    expect(await refusal(setup({ audiences: '*' }).verifier.verify(empty))).toBe('aud');
  });
});

describe('MFA token verifier: forged and invalid tokens', () => {
  it('refuses alg none', async () => {
    const { verifier } = setup();
    const token = `${b64url({ alg: 'none', typ: 'mfa+jwt', kid: KID })}.${b64url(defaultClaims())}.`;
    expect(await refusal(verifier.verify(token))).toBe('alg');
  });

  it('refuses HS256 signed with the public key as the HMAC secret (JWK JSON or PEM)', async () => {
    const { verifier } = setup();
    const pem = createPublicKey({ key: issuer.publicJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    for (const secret of [JSON.stringify(issuer.publicJwk), pem]) {
      const input = `${b64url({ alg: 'HS256', typ: 'mfa+jwt', kid: KID })}.${b64url(defaultClaims())}`;
      const mac = createHmac('sha256', secret).update(input).digest('base64url');
      expect(await refusal(verifier.verify(`${input}.${mac}`))).toBe('alg');
    }
  });

  it('refuses a tampered payload', async () => {
    const { verifier } = setup();
    const [header, , signature] = parts(await issuer.sign());
    const forged = `${header}.${b64url({ ...defaultClaims(), sub: 'admin' })}.${signature}`;
    expect(await refusal(verifier.verify(forged))).toBe('signature');
  });

  it('refuses a token signed by a foreign key that reuses a known kid', async () => {
    const { verifier } = setup();
    expect(await refusal(verifier.verify(await foreign.sign()))).toBe('signature');
  });

  it('refuses a wrong or missing typ, and an unknown or missing kid', async () => {
    const { verifier } = setup();
    expect(await refusal(verifier.verify(await issuer.sign({}, { typ: 'JWT' })))).toBe('typ');
    expect(await refusal(verifier.verify(await issuer.sign({}, { typ: 'at+jwt' })))).toBe('typ');
    const noTyp = signRaw(issuer.privateKey, { alg: 'ES256', kid: KID }, defaultClaims());
    expect(await refusal(verifier.verify(noTyp))).toBe('typ');
    expect(await refusal(verifier.verify(await issuer.sign({}, { kid: 'other' })))).toBe('kid');
    const noKid = signRaw(issuer.privateKey, { alg: 'ES256', typ: 'mfa+jwt' }, defaultClaims());
    expect(await refusal(verifier.verify(noKid))).toBe('kid');
  });

  it('refuses any crit header parameter', async () => {
    const { verifier } = setup();
    const header = { alg: 'ES256', typ: 'mfa+jwt', kid: KID, crit: ['exp'], exp: 1 };
    const token = signRaw(issuer.privateKey, header, defaultClaims());
    expect(await refusal(verifier.verify(token))).toBe('malformed');
  });

  it('refuses a wrong iss or aud', async () => {
    const { verifier } = setup();
    expect(await refusal(verifier.verify(await issuer.sign({ iss: 'https://evil' })))).toBe('iss');
    expect(await refusal(verifier.verify(await issuer.sign({ aud: 'app-2' })))).toBe('aud');
    expect(await refusal(verifier.verify(await issuer.sign({ aud: [AUDIENCE] })))).toBe('aud');
  });

  it('refuses an expired token, with exactly 60 s of skew', async () => {
    const { verifier } = setup();
    const exp = NOW_SECONDS - 60;
    expect(await refusal(verifier.verify(await issuer.sign({ exp })))).toBe('exp');
    await expect(verifier.verify(await issuer.sign({ exp: exp + 1 }))).resolves.toBeDefined();
  });

  it('refuses a token not valid yet (nbf), with exactly 60 s of skew', async () => {
    const { verifier } = setup();
    expect(await refusal(verifier.verify(await issuer.sign({ nbf: NOW_SECONDS + 61 })))).toBe(
      'nbf',
    );
    await expect(
      verifier.verify(await issuer.sign({ nbf: NOW_SECONDS + 60 })),
    ).resolves.toBeDefined();
  });

  it('refuses missing or mistyped claims, and auth_time in the future', async () => {
    const { verifier } = setup();
    for (const claims of [
      { txn: undefined },
      { sub: '' },
      { jti: 7 },
      { amr: 'mfa' },
      { amr: ['mfa', 1] },
      { acr: undefined },
      { iat: '0' },
      { exp: undefined },
      { auth_time: NOW_SECONDS + 61 },
      { iat: NOW_SECONDS + 61 },
      { consent_id: 5 },
    ]) {
      expect(
        await refusal(verifier.verify(await issuer.sign(claims))),
        JSON.stringify(claims),
      ).toBe('claims');
    }
  });

  it('accepts an exempt token only without auth_time and amr, and any other only with both', async () => {
    const { verifier } = setup();
    const exempt = { acr: 'exempt', auth_time: undefined, amr: undefined };
    const claims = await verifier.verify(await issuer.sign(exempt));
    expect(claims.acr).toBe('exempt');
    expect(claims).not.toHaveProperty('auth_time');
    for (const shape of [
      { ...exempt, auth_time: NOW_SECONDS }, // an exemption that claims an authentication
      { ...exempt, amr: ['otp'] },
      { acr: 'mfa', auth_time: undefined, amr: undefined }, // an authentication without one
      { acr: 'sca', amr: undefined },
    ]) {
      expect(await refusal(verifier.verify(await issuer.sign(shape))), JSON.stringify(shape)).toBe(
        'claims',
      );
    }
  });

  it('refuses garbage', async () => {
    const { verifier } = setup();
    const good = await issuer.sign();
    const [header, payload, signature] = parts(good);
    for (const garbage of [
      '',
      'abc',
      'a.b',
      '..',
      `${good}.x`,
      `${header}..${signature}`,
      `${header}.${payload}!.${signature}`,
      `${b64url('not json')}.${payload}.${signature}`,
      `${b64url([1])}.${payload}.${signature}`,
      'x'.repeat(9000),
    ]) {
      expect(await refusal(verifier.verify(garbage)), garbage.slice(0, 40)).toBe('malformed');
    }
    expect(await refusal(verifier.verify(`${header}.${payload}.`))).toBe('signature');
  });

  it('refuses a DER-encoded signature: JOSE ES256 is raw r||s, 64 bytes', async () => {
    const { verifier } = setup();
    const header = { alg: 'ES256', typ: 'mfa+jwt', kid: KID };
    const der = signRaw(issuer.privateKey, header, defaultClaims(), 'der');
    expect(await refusal(verifier.verify(der))).toBe('signature');
  });

  it('refuses the (r, n − s) twin of a valid token, though node:crypto verifies it', async () => {
    const keys = countingKeys();
    const { verifier } = setup({ keys });
    const token = await issuer.sign();
    const twin = twinOf(token);
    expect(twin).not.toBe(token);
    const publicKey = createPublicKey({ key: issuer.publicJwk as never, format: 'jwk' });
    const signed = Buffer.from(twin.slice(0, twin.lastIndexOf('.')));
    const p1363 = { key: publicKey, dsaEncoding: 'ieee-p1363' as const };
    expect(cryptoVerify('sha256', signed, p1363, signatureOf(twin))).toBe(true);
    expect(await refusal(verifier.verify(twin))).toBe('signature');
    expect(keys.lookups).toBe(0); // refused before the key lookup and the signature check
    await expect(verifier.verify(token)).resolves.toMatchObject({ jti: 'jti-1' });
    // The low form in the cache does not make its twin acceptable.
    expect(await refusal(verifier.verify(twin))).toBe('signature');
  });

  it('accepts exactly one form of each token, whichever form jose signed', async () => {
    const { verifier } = setup();
    for (let i = 0; i < 16; i += 1) {
      const token = await rawIssuer.sign({ jti: `jti-${i}` });
      const [high, low] = isHighS(token) ? [token, twinOf(token)] : [twinOf(token), token];
      expect(await refusal(verifier.verify(high))).toBe('signature');
      await expect(verifier.verify(low)).resolves.toMatchObject({ jti: `jti-${i}` });
      expect(twinOf(high)).toBe(low);
    }
  });

  it('refuses r or s that is zero or not below n, before any key lookup', async () => {
    const keys = countingKeys();
    const { verifier } = setup({ keys });
    const token = await issuer.sign();
    const r = signatureOf(token).subarray(0, 32);
    const s = signatureOf(token).subarray(32);
    for (const [badR, badS] of [
      [fixed(0n), s],
      [r, fixed(0n)],
      [fixed(N), s],
      [r, fixed(N)],
      [fixed(2n ** 256n - 1n), s],
      [r, fixed(N - 1n)],
    ] as const) {
      const forged = withSignature(token, badR, badS);
      expect(await refusal(verifier.verify(forged)), forged.slice(-86)).toBe('signature');
    }
    expect(keys.lookups).toBe(0);
  });

  it('checks the signature before any claim', async () => {
    const { verifier } = setup();
    const wrongEverything = { iss: 'https://evil', aud: 'x', exp: 1, txn: undefined };
    expect(await refusal(verifier.verify(await foreign.sign(wrongEverything)))).toBe('signature');
  });

  it('refuses keys that are not P-256 public keys, whatever the key source returns', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    const keys: KeySource = { getKey: async () => p384 as KeyObject };
    const { verifier } = setup({ keys });
    expect(await refusal(verifier.verify(await issuer.sign()))).toBe('kid');
    const broken: KeySource = { getKey: () => Promise.reject(new Error('boom')) };
    expect(await refusal(setup({ keys: broken }).verifier.verify(await issuer.sign()))).toBe('kid');
  });
});

describe('MFA token verifier: cache', () => {
  it('serves a verified token from the cache (no second key lookup)', async () => {
    const keys = countingKeys();
    const { verifier } = setup({ keys });
    const token = await issuer.sign();
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(keys.lookups).toBe(1);
  });

  it('refuses a cached token once expired, and drops it', async () => {
    const keys = countingKeys();
    const { verifier, clock } = setup({ keys });
    const token = await issuer.sign({ exp: NOW_SECONDS + 10 });
    await verifier.verify(token);
    clock.nowMs = (NOW_SECONDS + 69) * 1000;
    await expect(verifier.verify(token)).resolves.toBeDefined(); // within the 60 s skew
    clock.nowMs = (NOW_SECONDS + 70) * 1000;
    expect(await refusal(verifier.verify(token))).toBe('exp');
    expect(await refusal(verifier.verify(token))).toBe('exp');
    expect(keys.lookups).toBe(2); // the second refusal re-verified: the entry was evicted
  });

  it('never caches a refused token', async () => {
    const keys = countingKeys();
    const { verifier, clock } = setup({ keys });
    const early = await issuer.sign({ nbf: NOW_SECONDS + 120 });
    expect(await refusal(verifier.verify(early))).toBe('nbf');
    expect(await refusal(verifier.verify(early))).toBe('nbf');
    expect(keys.lookups).toBe(2);
    clock.nowMs = (NOW_SECONDS + 120) * 1000;
    await expect(verifier.verify(early)).resolves.toBeDefined();
  });

  it('is bounded and evicts the least recently used token', async () => {
    const keys = countingKeys();
    const { verifier } = setup({ keys, cacheSize: 2 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((jti) => issuer.sign({ jti })));
    for (const token of [a, b, a, c] as string[]) await verifier.verify(token); // b is oldest
    expect(keys.lookups).toBe(3);
    await verifier.verify(a as string);
    await verifier.verify(c as string);
    expect(keys.lookups).toBe(3);
    await verifier.verify(b as string);
    expect(keys.lookups).toBe(4);
  });
});
