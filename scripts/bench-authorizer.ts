/**
 * `npm run bench:authorizer`: this project's MFA-token verifier against aws-jwt-verify on the
 * same ES256 keys and tokens, warm, in one process (DESIGN.md performance targets). No
 * network: both read the same in-memory JWKS. The last line is the machine-readable result.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { staticKeySource } from '../shared/authz/jwks-source.js';
import { createMfaTokenVerifier } from '../shared/authz/token-verifier.js';
import { toLowSP256 } from '../shared/domain/ecdsa-signature.js';
import { MFA_ACR, MFA_TOKEN_ALG, MFA_TOKEN_TYPE } from '../shared/domain/mfa-token.js';

const ISSUER = 'https://mfa.bench.example';
const AUDIENCE = 'bench-client';
const KID = 'bench-key-1';
const TOKENS = 1000;
const WARMUP_TOKENS = 300;
const REPEATS = 20;
/** Rounds per workload, alternating the two verifiers; the median rate is reported. */
const ROUNDS = 7;

/** mulberry32: a seeded PRNG, so every run shuffles the same way. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const shuffle = <T>(items: T[], random: () => number): T[] => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
};

const median = (values: number[]) =>
  values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const { publicKey, privateKey } = await generateKeyPair(MFA_TOKEN_ALG, { extractable: true });
const jwks = {
  keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: MFA_TOKEN_ALG, use: 'sig' }],
};
const nowSeconds = Math.floor(Date.now() / 1000);

/** jose (WebCrypto) signs either ECDSA form; the service's signers and verifier use low-S only. */
const lowS = (token: string) => {
  const dot = token.lastIndexOf('.');
  const signature = toLowSP256(Buffer.from(token.slice(dot + 1), 'base64url'));
  return `${token.slice(0, dot)}.${Buffer.from(signature).toString('base64url')}`;
};

const sign = async (index: number) =>
  lowS(
    await new SignJWT({
      auth_time: nowSeconds - 5,
      amr: ['sms', 'otp', 'mfa'],
      acr: MFA_ACR,
      txn: `txn-${index}`,
      consent_id: `consent-${index}`,
      authorization_details: [
        {
          type: 'payment_initiation',
          instructedAmount: { amount: '250.00', currency: 'EUR' },
          creditorName: 'ACME Ltd',
        },
      ],
    })
      .setProtectedHeader({ alg: MFA_TOKEN_ALG, typ: MFA_TOKEN_TYPE, kid: KID })
      .setIssuer(ISSUER)
      .setSubject(`user-${index}`)
      .setAudience(AUDIENCE)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 900)
      .setJti(`jti-${index}`)
      .sign(privateKey),
  );

const all = await Promise.all(Array.from({ length: TOKENS + WARMUP_TOKENS }, (_, i) => sign(i)));
const tokens = all.slice(0, TOKENS);
const warmup = all.slice(TOKENS);
const repeated = shuffle(
  tokens.flatMap((token) => Array.from({ length: REPEATS }, () => token)),
  seeded(42),
);

type Verify = (token: string) => unknown;
const keys = staticKeySource(jwks);

/** A fresh verifier per round: each round of the distinct workload starts with no cached token. */
const ours = (): Verify => {
  const verifier = createMfaTokenVerifier({
    issuer: ISSUER,
    audiences: [AUDIENCE],
    keys,
    now: Date.now,
  });
  return (token) => verifier.verify(token);
};

const theirs = (): Verify => {
  const verifier = JwtVerifier.create({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: 'http://localhost/jwks',
    // aws-jwt-verify does not look at `typ`; check it too, so both do the same work.
    customJwtCheck: ({ header }) => {
      if (header.typ !== MFA_TOKEN_TYPE) throw new Error('typ');
    },
  });
  // Same keys, typed for aws-jwt-verify's narrower JWK type.
  verifier.cacheJwks(jwks as Parameters<typeof verifier.cacheJwks>[0]);
  // verifySync is its fastest path once the JWKS is cached: the fair comparison.
  return (token) => verifier.verifySync(token);
};

const run = async (make: () => Verify, workload: readonly string[]): Promise<number> => {
  const verify = make();
  for (const token of warmup) await verify(token);
  const started = process.hrtime.bigint();
  for (const token of workload) await verify(token);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return workload.length / seconds;
};

const measure = async (workload: readonly string[]) => {
  const rates = { ours: [] as number[], theirs: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, so neither always profits from a warmer CPU or a fresh heap.
    if (round % 2 === 0) {
      rates.ours.push(await run(ours, workload));
      rates.theirs.push(await run(theirs, workload));
    } else {
      rates.theirs.push(await run(theirs, workload));
      rates.ours.push(await run(ours, workload));
    }
  }
  return { ours: median(rates.ours), theirs: median(rates.theirs) };
};

// Sanity: both accept every token before anything is timed.
const check = [ours(), theirs()];
for (const verify of check) for (const token of tokens) await verify(token);

const distinct = await measure(tokens);
const again = await measure(repeated);
const ratio = (r: { ours: number; theirs: number }) => r.ours / r.theirs;
const row = (name: string, r: { ours: number; theirs: number }) =>
  `${name.padEnd(28)} ${Math.round(r.ours).toString().padStart(12)} ${Math.round(r.theirs)
    .toString()
    .padStart(16)} ${ratio(r).toFixed(2).padStart(7)}`;

console.log(`node ${process.version}, ${TOKENS} tokens, ES256, median of ${ROUNDS} rounds`);
console.log(
  `${'workload'.padEnd(28)} ${'ours (/s)'.padStart(12)} ${'aws-jwt-verify (/s)'.padStart(16)} ${'ratio'.padStart(7)}`,
);
console.log(row('(a) distinct, once each', distinct));
console.log(row(`(b) repeated x${REPEATS}, shuffled`, again));
console.log(`ratio distinct ${ratio(distinct).toFixed(2)}, repeated ${ratio(again).toFixed(2)}`);
