/**
 * `npm run receipt -- verify FILE [--jwks URL|FILE] [--payee-account ID]`: checks an SCA
 * receipt as a third party would, from API.md's text alone: the JWS (ES256, `typ:
 * sca-receipt+jwt`) against the issuer's JWKS (a URL, a saved file for offline checks, or by
 * default `<iss>/.well-known/jwks.json`), the `binding` recomputed from the receipt's payment
 * and consent (JCS, RFC 8785), and for each passkey entry the user's own signature over a
 * challenge recomputed from that binding and the entry's nonce. Prints the content and each
 * check as JSON; exit 0 when every check holds, 2 when one fails (with the reason on stderr),
 * 1 on a usage error.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import canonicalize from 'canonicalize';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import {
  type CliOutput,
  HELP,
  isMainModule,
  processOutput,
  runJsonCli,
  UsageError,
} from './cli.js';

export const USAGE = `Usage: npm run receipt -- verify FILE [--jwks URL|FILE] [--payee-account ID]

Checks an SCA receipt (the compact JWS in FILE): its signature against the issuer's JWKS,
its binding against its own payment and consent, and each passkey's own signature.
  --jwks URL|FILE       the JWKS to trust (default: <iss>/.well-known/jwks.json); a file
                        works offline
  --payee-account ID    the payee's account id, when the transaction had one (it is part
                        of the binding, not of the receipt)
  -h, --help            this text
Exit 0: every check holds; 2: one does not (stderr says which); 1: usage error.
`;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
const b64u = (data: Buffer) => data.toString('base64url');
const jcs = (value: unknown) => canonicalize(value) as string;

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
  readonly credentialId?: string;
  readonly publicKey?: Record<string, string>;
  readonly authenticatorData?: string;
  readonly clientDataJSON?: string;
  readonly signature?: string;
  readonly nonce?: string;
}

const loadJwks = async (source: string | undefined, iss: unknown): Promise<JSONWebKeySet> => {
  const url =
    source ??
    (typeof iss === 'string' ? `${iss.replace(/\/$/, '')}/.well-known/jwks.json` : undefined);
  if (!url) throw new ReceiptInvalid('the receipt names no issuer: pass --jwks');
  const text = /^https?:\/\//.test(url)
    ? await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text()
    : await readFile(url, 'utf8');
  return JSON.parse(text) as JSONWebKeySet;
};

/** API.md "Receipts": binding = b64u(SHA-256(JCS({ txn, amount, currency, payee, payeeAccount, consentId }))). */
const bindingOf = (claims: Record<string, unknown>, payeeAccount?: string) => {
  const [payment] = (claims.authorization_details ?? []) as PaymentDetail[];
  return b64u(
    sha256(
      jcs({
        txn: claims.txn,
        ...(payment
          ? {
              amount: payment.instructedAmount?.amount,
              currency: payment.instructedAmount?.currency,
              payee: payment.creditorName,
            }
          : {}),
        ...(payeeAccount ? { payeeAccount } : {}),
        ...(claims.consent_id ? { consentId: claims.consent_id } : {}),
      }),
    ),
  );
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
  const challenge = b64u(sha256(jcs({ binding, nonce })));
  must(
    clientData.type === 'webauthn.get' || clientData.type === 'payment.get',
    `${what}: not an assertion`,
  );
  must(
    clientData.challenge === challenge,
    `${what}: signs another challenge than binding and nonce`,
  );
  const authData = Buffer.from(authenticatorData as string, 'base64url');
  must(authData.length >= 37 && ((authData[32] as number) & 1) === 1, `${what}: no user presence`);
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
    userVerified: ((authData[32] as number) & 0x04) !== 0,
    signCount: authData.readUInt32BE(33),
  };
};

export const verifyReceipt = async (
  receipt: string,
  options: { jwks?: string; payeeAccount?: string } = {},
) => {
  let unverified: Record<string, unknown>;
  try {
    unverified = decodeJwt(receipt);
  } catch {
    throw new ReceiptInvalid('not a compact JWS');
  }
  const jwks = await loadJwks(options.jwks, unverified.iss);
  let claims: Record<string, unknown>;
  let kid: string | undefined;
  try {
    const verified = await jwtVerify(receipt, createLocalJWKSet(jwks), {
      typ: 'sca-receipt+jwt',
      algorithms: ['ES256'],
    });
    claims = verified.payload as Record<string, unknown>;
    kid = verified.protectedHeader.kid;
  } catch (error) {
    throw new ReceiptInvalid(`signature: ${(error as Error).message}`);
  }
  const binding = bindingOf(claims, options.payeeAccount);
  must(
    claims.binding === binding,
    options.payeeAccount
      ? 'binding: does not match the payment, consent and the payee account given'
      : 'binding: does not match the payment and consent (if the transaction had a payee account, pass --payee-account)',
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return HELP;
  if (positionals[0] !== 'verify' || positionals.length !== 2) {
    throw new UsageError('the one command is verify FILE');
  }
  return {
    file: positionals[1] as string,
    jwks: values.jwks,
    payeeAccount: values['payee-account'],
  };
};

/** Runs one CLI invocation; resolves with its exit code. */
export const runReceiptCli = (argv: string[], io: CliOutput = processOutput): Promise<number> =>
  runJsonCli(argv, io, {
    usage: USAGE,
    parse,
    run: async ({ file, jwks, payeeAccount }) => {
      const receipt = (await readFile(file, 'utf8')).trim();
      const result = await verifyReceipt(receipt, {
        ...(jwks ? { jwks } : {}),
        ...(payeeAccount ? { payeeAccount } : {}),
      });
      io.stderr('Receipt valid.\n');
      return result;
    },
    describeFailure: (error) =>
      error instanceof ReceiptInvalid
        ? `invalid receipt: ${error.message}`
        : `could not check the receipt: ${(error as Error).message}`,
  });

if (isMainModule(import.meta.filename)) {
  process.exitCode = await runReceiptCli(process.argv.slice(2));
}
