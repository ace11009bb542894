/**
 * `npm run receipt -- verify FILE --jwks URL|FILE [--payee-account ID] [--issuer ISS]`: checks an SCA
 * receipt as a third party would: the JWS (ES256, `typ: sca-receipt+jwt`, one signature
 * form) against the JWKS the caller trusts (a URL, or a saved file for offline checks; never
 * one the receipt names), the `binding` recomputed from the receipt's payment, payee account
 * and consent (API.md's canonical forms, `shared/domain/binding.ts`), and for each passkey entry the user's own signature over a
 * challenge recomputed from that binding and the entry's nonce. Prints the content and each
 * check as JSON; exit 0 when every check holds, 2 when one fails (with the reason on stderr),
 * 1 on a usage error.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodeJwt, jwtVerify } from 'jose';
import { isLoopbackHostname } from '../client/client-options.js';
import { importJwks, MAX_JWKS_BYTES, retiredAtOf } from '../shared/authz/jwks-source.js';
import { passkeyChallenge, transactionBinding } from '../shared/domain/binding.js';
import { boundedText } from '../shared/http/bounded-body.js';
import {
  type CliOutput,
  HELP,
  isMainModule,
  processOutput,
  runJsonCli,
  UsageError,
} from './cli.js';

export const USAGE = `Usage: npm run receipt -- verify FILE --jwks URL|FILE [--payee-account ID] [--issuer ISS]

Checks an SCA receipt (the compact JWS in FILE): its signature against the issuer's JWKS,
its binding against its own payment and consent, and each passkey's own signature.
  --jwks URL|FILE       the issuer's JWKS you trust (its /.well-known/jwks.json over https,
                        or a saved copy for offline checks); required: the receipt's own
                        "iss" is what a forger would choose, so it never says where the keys are
  --payee-account ID    your record of the payee's account id: the receipt's own
                        (payee_account) must be this one
  --issuer ISS          the issuer you expect: the receipt's own (iss) must be this one
                        (without it, iss is printed, not checked: the keys decide)
  -h, --help            this text
Exit 0: every check holds; 2: one does not (stderr says which); 1: usage error.
`;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
const b64u = (data: Buffer) => data.toString('base64url');

/** A check that failed: exit 2 with its reason. */
class ReceiptInvalid extends Error {}
const must = (holds: boolean, what: string) => {
  if (!holds) throw new ReceiptInvalid(what);
};

interface PaymentDetail {
  readonly instructedAmount?: { readonly amount?: string; readonly currency?: string };
  readonly creditorName?: string;
}

interface ReceiptEntry {
  readonly type: string;
  readonly categories?: readonly string[];
  readonly credentialId?: string;
  readonly publicKey?: Record<string, string>;
  readonly authenticatorData?: string;
  readonly clientDataJSON?: string;
  readonly signature?: string;
  readonly nonce?: string;
}

/** The JWKS the caller trusts: a URL (no redirects, 5 s) or a file; its text is never echoed. */
const loadJwks = async (source: string): Promise<unknown> => {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source, { redirect: 'error', signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`the JWKS answered HTTP ${response.status}`);
    text = await boundedText(response, MAX_JWKS_BYTES).catch((error: Error) => {
      throw new Error(`the JWKS: ${error.message}`);
    });
  } else {
    text = await readFile(source, 'utf8');
    if (Buffer.byteLength(text) > MAX_JWKS_BYTES) throw new Error('the JWKS is too large');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('the JWKS is not JSON');
  }
};

/** Low-S only (s ≤ n/2), as the service signs: the high-S twin is a second string of one receipt. */
const P256_HALF_ORDER = BigInt(
  '0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8',
);
const lowS = (receipt: string) => {
  const signature = Buffer.from(receipt.split('.')[2] ?? '', 'base64url');
  return (
    signature.length === 64 &&
    BigInt(`0x${signature.subarray(32).toString('hex')}`) <= P256_HALF_ORDER
  );
};

/**
 * Each part in the one form the service writes: canonical base64url, and for the header and
 * the claims the bytes of `JSON.stringify`. A member written twice (JSON.parse keeps the
 * last one, another relying party's parser may keep the first), other spacing or escapes
 * would each be a second string of one receipt.
 */
const serviceForm = (receipt: string) =>
  receipt.split('.').every((part, index) => {
    const bytes = Buffer.from(part, 'base64url');
    if (bytes.toString('base64url') !== part) return false;
    if (index === 2) return true;
    try {
      return Buffer.from(JSON.stringify(JSON.parse(bytes.toString('utf8')))).equals(bytes);
    } catch {
      return false;
    }
  });

/** The claims the service writes in a receipt; anything else was written by someone else. */
const RECEIPT_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'iat',
  'txn',
  'consent_id',
  'authorization_details',
  'binding',
  'payee_account',
  'factors',
  'policy',
  'audit',
]);

const sameKeys = (value: unknown, keys: readonly string[]) =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value).sort().join() === [...keys].sort().join();

/**
 * The receipt has the service's shape: its claims only, text where text is due, and at most
 * one payment entry of exactly `{ type, instructedAmount: { amount, currency }, creditorName }`
 * (the binding is recomputed from that one entry, so a second would go unchecked).
 */
const hasReceiptShape = (claims: Record<string, unknown>): boolean => {
  if (!Object.keys(claims).every((name) => RECEIPT_CLAIMS.has(name))) return false;
  const text = ['consent_id', 'payee_account'].every(
    (name) => claims[name] === undefined || typeof claims[name] === 'string',
  );
  const details = claims.authorization_details;
  if (details === undefined) return text;
  if (!Array.isArray(details) || details.length !== 1) return false;
  const [entry] = details as Record<string, unknown>[];
  return (
    text &&
    sameKeys(entry, ['type', 'instructedAmount', 'creditorName']) &&
    entry?.type === 'payment_initiation' &&
    typeof entry.creditorName === 'string' &&
    sameKeys(entry.instructedAmount, ['amount', 'currency'])
  );
};

/** The binding of the receipt's own transaction (API.md "Receipts", the project's one definition). */
const bindingOf = (claims: Record<string, unknown>, payeeAccount?: string) => {
  const [payment] = (claims.authorization_details ?? []) as PaymentDetail[];
  return transactionBinding({
    transactionId: claims.txn as string,
    ...(payment
      ? {
          transaction: {
            amount: payment.instructedAmount?.amount as string,
            currency: payment.instructedAmount?.currency as string,
            payee: payment.creditorName as string,
            ...(payeeAccount ? { payeeAccount } : {}),
          },
        }
      : {}),
    ...(claims.consent_id ? { consentId: claims.consent_id as string } : {}),
  });
};

/** A passkey entry: its client data signs SHA-256(JCS({binding, nonce})), with its own key. */
const checkPasskey = (entry: ReceiptEntry, binding: string, index: number) => {
  const what = `factors[${index}] (webauthn)`;
  const { clientDataJSON, authenticatorData, signature, publicKey, nonce } = entry;
  must(
    Boolean(clientDataJSON && authenticatorData && signature && publicKey && nonce),
    `${what}: incomplete`,
  );
  const clientBytes = Buffer.from(clientDataJSON as string, 'base64url');
  const clientData = JSON.parse(clientBytes.toString('utf8')) as Record<string, unknown>;
  const challenge = b64u(passkeyChallenge(binding, nonce as string));
  must(
    clientData.type === 'webauthn.get' || clientData.type === 'payment.get',
    `${what}: not an assertion`,
  );
  must(
    clientData.challenge === challenge,
    `${what}: signs another challenge than binding and nonce`,
  );
  must(
    (clientData.crossOrigin === undefined || clientData.crossOrigin === false) &&
      clientData.topOrigin === undefined,
    `${what}: made inside another site's frame`,
  );
  const authData = Buffer.from(authenticatorData as string, 'base64url');
  must(authData.length >= 37 && ((authData[32] as number) & 1) === 1, `${what}: no user presence`);
  const userVerified = ((authData[32] as number) & 0x04) !== 0;
  must(
    userVerified || !(entry.categories ?? []).includes('inherence'),
    `${what}: claims inherence without user verification`,
  );
  let good = false;
  try {
    const key = createPublicKey({ key: { ...publicKey }, format: 'jwk' });
    good = verify(
      'sha256',
      Buffer.concat([authData, sha256(clientBytes)]),
      key,
      Buffer.from(signature as string, 'base64url'),
    );
  } catch {
    good = false;
  }
  must(good, `${what}: the signature does not verify with its public key`);
  return {
    factor: index,
    origin: clientData.origin,
    rpIdHash: authData.subarray(0, 32).toString('hex'),
    userVerified,
    signCount: authData.readUInt32BE(33),
  };
};

export const verifyReceipt = async (
  receipt: string,
  options: { jwks: string; payeeAccount?: string; issuer?: string },
) => {
  try {
    decodeJwt(receipt);
  } catch {
    throw new ReceiptInvalid('not a compact JWS');
  }
  must(lowS(receipt), 'signature: not in its one (low-S) form');
  must(
    serviceForm(receipt),
    'form: not as the service writes it (JSON.stringify, base64url): a member written twice, other spacing or escapes',
  );
  // The keys as the authorizer reads them (`importJwks`): ES256 public signing keys only, the
  // first of a repeated kid, and a `retired_at` that is not a number refuses its key.
  const keys = importJwks(await loadJwks(options.jwks));
  let claims: Record<string, unknown>;
  let key: KeyObject | undefined;
  let kid = '';
  try {
    const verified = await jwtVerify(
      receipt,
      (header) => {
        // Every receipt names its key.
        if (typeof header.kid !== 'string' || header.kid.length === 0) throw new Error('no kid');
        kid = header.kid;
        key = keys.get(kid);
        if (!key) throw new Error('no key of this kid in the JWKS');
        return key;
      },
      { typ: 'sca-receipt+jwt', algorithms: ['ES256'] },
    );
    claims = verified.payload as Record<string, unknown>;
  } catch (error) {
    throw new ReceiptInvalid(`signature: ${(error as Error).message}`);
  }
  // A retired key (its JWK's `retired_at`) signed nothing after it retired: a later receipt
  // was made with a leaked key. (A leaked key can also backdate `iat`: only the audit chain
  // dates a receipt, `npm run audit -- verify --receipt`.)
  const retiredAt = key ? retiredAtOf(key) : undefined;
  must(
    retiredAt === undefined || (claims.iat as number) <= retiredAt + 60,
    'signature: made by a retired key after it retired',
  );
  must(hasReceiptShape(claims), 'shape: a claim or payment entry the service never writes');
  // The receipt names the payee account it was bound to (`payee_account`); --payee-account
  // checks it against the caller's own record.
  must(
    options.payeeAccount === undefined || claims.payee_account === options.payeeAccount,
    'payee_account: not the one given',
  );
  must(options.issuer === undefined || claims.iss === options.issuer, 'iss: not the issuer given');
  const payeeAccount = typeof claims.payee_account === 'string' ? claims.payee_account : undefined;
  const binding = bindingOf(claims, payeeAccount);
  must(
    claims.binding === binding,
    'binding: does not match the payment, payee account and consent the receipt names',
  );
  const factors = (claims.factors ?? []) as ReceiptEntry[];
  const passkeys = factors
    .map((entry, index) => (entry.type === 'webauthn' ? checkPasskey(entry, binding, index) : null))
    .filter((check) => check !== null);
  return {
    valid: true,
    kid,
    checks: {
      signature: 'ES256, typ sca-receipt+jwt, key in the JWKS',
      binding: 'recomputed from the receipt (JCS, SHA-256)',
      passkeys,
    },
    claims,
  };
};

const parse = (argv: string[]) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      jwks: { type: 'string' },
      'payee-account': { type: 'string' },
      issuer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return HELP;
  if (positionals[0] !== 'verify' || positionals.length !== 2) {
    throw new UsageError('the one command is verify FILE');
  }
  if (!values.jwks) {
    throw new UsageError('--jwks is required: the JWKS of the issuer you trust (URL or file)');
  }
  // Whoever sits on a plain-HTTP path could hand over keys of their own.
  if (/^http:/i.test(values.jwks)) {
    const url = URL.canParse(values.jwks) ? new URL(values.jwks) : undefined;
    if (!url || url.username || url.password || !isLoopbackHostname(url.hostname)) {
      throw new UsageError('--jwks URL must be https (plain http only to this machine), or a file');
    }
  }
  return {
    file: positionals[1] as string,
    jwks: values.jwks,
    payeeAccount: values['payee-account'],
    issuer: values.issuer,
  };
};

/** Runs one CLI invocation; resolves with its exit code. */
export const runReceiptCli = (argv: string[], io: CliOutput = processOutput): Promise<number> =>
  runJsonCli(argv, io, {
    usage: USAGE,
    parse,
    run: async ({ file, jwks, payeeAccount, issuer }) => {
      const receipt = (await readFile(file, 'utf8')).trim();
      const result = await verifyReceipt(receipt, {
        jwks: jwks as string,
        ...(payeeAccount ? { payeeAccount } : {}),
        ...(issuer !== undefined ? { issuer } : {}),
      });
      io.stderr(`Receipt valid (keys from ${jwks}).\n`);
      return { ...result, jwks };
    },
    describeFailure: (error) =>
      error instanceof ReceiptInvalid
        ? `invalid receipt: ${error.message}`
        : `could not check the receipt: ${(error as Error).message}`,
  });

if (isMainModule(import.meta.filename)) {
  process.exitCode = await runReceiptCli(process.argv.slice(2));
}
