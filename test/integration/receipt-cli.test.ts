import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import canonicalize from 'canonicalize';
import { CompactSign, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../scripts/audit.js';
import { runReceiptCli } from '../../scripts/receipt.js';
import { runSigningKeyCli } from '../../scripts/signing-key.js';
import { unique } from '../support/flows.js';
import { basicAuth, startTestRuntime } from '../support/local.js';
import { createTestIssuer, ISSUER, KID, lowSToken } from '../support/mfa-tokens.js';
import { activePasskey, approveWithPasskey } from '../support/passkey-flow.js';

/** `npm run receipt -- verify`: the third party's check, against the running local runtime. */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mfa-receipt-cli-'));
  process.env.MFA_RUNTIME_FILE = path.join(dir, 'runtime.json');
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

const run = async (run: (io: Parameters<typeof runReceiptCli>[1]) => Promise<number>) => {
  let stdout = '';
  let stderr = '';
  const code = await run({
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
};
/** The test issuer's token claims a receipt never has (its sign() adds them by default). */
const TOKEN_ONLY = {
  exp: undefined,
  jti: undefined,
  auth_time: undefined,
  amr: undefined,
  acr: undefined,
};
const cli = (...argv: string[]) => run((io) => runReceiptCli(argv, io));
const saved = async (name: string, text: string) => {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
};

const PAYMENT = {
  amount: '99.90',
  currency: 'EUR',
  payee: 'Acme Ltd',
  payeeAccount: 'GB33BUKB20201555555555',
};

/** A passkey payment approved end to end; its receipt. */
const passkeyReceipt = async (transaction: Record<string, string> = PAYMENT) => {
  const user = await activePasskey(runtime.url, unique('receipt-cli'));
  return (await approveWithPasskey(runtime.url, user, transaction)).done.receipt as string;
};

describe('npm run receipt -- verify', () => {
  it('checks a passkey receipt against the served JWKS: signature, binding, the user signature; again after two key rotations', async () => {
    const userId = unique('receipt-cli');
    const user = await activePasskey(runtime.url, userId);
    const receipt = (await approveWithPasskey(runtime.url, user, PAYMENT)).done.receipt as string;
    const file = await saved('passkey.jwt', receipt);
    const served = `${runtime.url}/.well-known/jwks.json`;
    // Its success event in the user's chain says what it says (the passkey's signature too).
    const chain = await run((io) =>
      runAudit(
        ['verify', '--app', 'demo', '--user', userId, '--url', runtime.url, '--receipt', file],
        io,
      ),
    );
    expect(chain, chain.stdout).toMatchObject({ code: 0, stderr: '' });
    const ok = await cli('verify', file, '--jwks', served, '--payee-account', PAYMENT.payeeAccount);
    expect(ok.code, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out).toMatchObject({
      valid: true,
      checks: { passkeys: [{ factor: 0, userVerified: true, signCount: 1 }] },
      claims: { factors: [{ type: 'webauthn' }] },
    });
    // The receipt names the payee account it was bound to: it checks alone, and against
    // the caller's own record when given.
    expect((await cli('verify', file, '--jwks', served)).code).toBe(0);
    const other = await cli(
      'verify',
      file,
      '--jwks',
      served,
      '--payee-account',
      'DE89370400440532013000',
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('payee_account: not the one given');
    // The private half of the key that signed it, as a thief would keep it.
    const keyDir = JSON.parse(
      await readFile(process.env.MFA_RUNTIME_FILE as string, 'utf8'),
    ).keyDir;
    const keyFile = JSON.parse(await readFile(path.join(keyDir, 'signing-keys.json'), 'utf8'));
    const signedBy = decodeProtectedHeader((await readFile(file, 'utf8')).trim()).kid;
    const stolen = keyFile.keys.find((key: { kid: string }) => key.kid === signedBy);
    for (let i = 0; i < 2; i += 1) {
      const rotated = await run((io) => runSigningKeyCli(['rotate', '--retain-seconds', '0'], io));
      expect(rotated.code, rotated.stderr).toBe(0);
    }
    const later = await cli(
      'verify',
      file,
      '--jwks',
      served,
      '--payee-account',
      PAYMENT.payeeAccount,
    );
    expect(later.code, later.stderr).toBe(0);
    // The retired key stays published with when it retired; a token it signs now is refused.
    const jwks = (await (await fetch(served)).json()) as {
      keys: { kid: string; retired_at?: number }[];
    };
    expect(jwks.keys.find((key) => key.kid === stolen.kid)?.retired_at).toEqual(expect.any(Number));
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({
      sub: 'victim',
      aud: 'demo',
      iss: runtime.url,
      iat: now,
      exp: now + 600,
      auth_time: now,
      amr: ['otp', 'mfa'],
      acr: 'sca',
      jti: 'forged-1',
      txn: 'txn-forged',
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'mfa+jwt', kid: stolen.kid })
      .sign(await importJWK(stolen.privateJwk, 'ES256'));
    // As the user's step-up token for a trusted payee (checked against the JWKS as it is now).
    const refused = await fetch(`${runtime.url}/v1/users/victim/trusted-payees`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(),
        'content-type': 'application/json',
        'x-mfa-token': lowSToken(forged),
      },
      body: JSON.stringify({ payeeAccount: 'GB33BUKB20201555555555', payee: 'Mallory' }),
    });
    expect({
      status: refused.status,
      code: ((await refused.json()) as { code?: string }).code,
    }).toEqual({
      status: 401,
      code: 'insufficient_user_authentication',
    });
  });

  it('offline with a saved JWKS; a tampered receipt or another JWKS fails (exit 2)', async () => {
    const receipt = await passkeyReceipt({ amount: '5.00', currency: 'EUR', payee: 'Cafe' });
    const jwks = await saved(
      'jwks.json',
      await (await fetch(`${runtime.url}/.well-known/jwks.json`)).text(),
    );
    expect((await cli('verify', await saved('r.jwt', receipt), '--jwks', jwks)).code).toBe(0);
    // The receipt's own "iss" never says where the keys are: --jwks is required.
    expect((await cli('verify', await saved('r0.jwt', receipt))).code).toBe(1);
    const [header, payload, signature] = receipt.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const edited = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString(
      'base64url',
    );
    const tampered = await cli(
      'verify',
      await saved('t.jwt', `${header}.${edited}.${signature}`),
      '--jwks',
      jwks,
    );
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toContain('invalid receipt: signature');
    const stranger = await createTestIssuer(claims.kid);
    const other = await cli(
      'verify',
      await saved('r2.jwt', receipt),
      '--jwks',
      await saved('other.json', JSON.stringify(stranger.jwks)),
    );
    expect(other.code).toBe(2);
  });

  it('reads the JWKS as the authorizer does: a retired key stays retired whatever its JWK says', async () => {
    const receipt = await passkeyReceipt({ amount: '6.00', currency: 'EUR', payee: 'Cafe' });
    const file = await saved('r3.jwt', receipt);
    const { iat } = JSON.parse(
      Buffer.from(receipt.split('.')[1] as string, 'base64url').toString(),
    );
    const served = (await (await fetch(`${runtime.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    const kid = JSON.parse(
      Buffer.from(receipt.split('.')[0] as string, 'base64url').toString(),
    ).kid;
    const own = served.keys.find((key) => key.kid === kid) as Record<string, unknown>;
    const verifyWith = async (name: string, keys: Record<string, unknown>[]) =>
      cli('verify', file, '--jwks', await saved(name, JSON.stringify({ keys })));
    expect((await verifyWith('as-served.json', [own])).code).toBe(0);
    // Retired before the receipt: refused, also when an unusable twin of the key comes first
    // (jose's own lookup skips a `use: "enc"` key, so a first-match lookup saw no retired_at).
    const retired = { ...own, retired_at: iat - 1000 };
    for (const [name, keys] of [
      ['retired.json', [retired]],
      ['twin.json', [{ ...own, use: 'enc' }, retired]],
      ['date.json', [{ ...own, retired_at: new Date((iat - 1000) * 1000).toISOString() }]],
    ] as const) {
      const refused = await verifyWith(name, [...keys]);
      expect({ name, code: refused.code }).toEqual({ name, code: 2 });
      expect(refused.stderr).toContain('invalid receipt: signature');
    }
  });

  it("a validly signed receipt whose passkey entry is not the user's signature fails", async () => {
    const issuer = await createTestIssuer();
    const receipt = await passkeyReceipt({ amount: '7.00', currency: 'EUR', payee: 'Cafe' });
    const claims = JSON.parse(Buffer.from(receipt.split('.')[1] as string, 'base64url').toString());
    const [entry] = claims.factors;
    // The same entry with a signature of another key: signed by an issuer the JWKS trusts.
    const forged = await issuer.sign(
      {
        ...claims,
        factors: [{ ...entry, signature: Buffer.alloc(70, 1).toString('base64url') }],
        ...TOKEN_ONLY,
      },
      { typ: 'sca-receipt+jwt' },
    );
    const jwks = await saved('issuer.json', JSON.stringify(issuer.jwks));
    const failed = await cli('verify', await saved('f.jwt', forged), '--jwks', jwks);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('factors[0] (webauthn): the signature does not verify');
    // A receipt naming no key: its key's retirement could not be checked.
    const keyless = await issuer.sign(
      { ...claims, ...TOKEN_ONLY },
      { typ: 'sca-receipt+jwt', kid: undefined },
    );
    const unnamed = await cli('verify', await saved('k.jwt', lowSToken(keyless)), '--jwks', jwks);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('signature: no kid');
    /** A receipt signed by the trusted issuer, refused for `reason` (exit 2). */
    const refusedAs = async (name: string, receipt: string, reason: string) => {
      const refused = await cli('verify', await saved(`${name}.jwt`, receipt), '--jwks', jwks);
      expect(refused.code, name).toBe(2);
      expect(refused.stderr, name).toContain(reason);
    };
    // A second payment entry, an extra claim: never written by the service.
    const extraEntry = {
      type: 'payment_initiation',
      instructedAmount: { amount: '1000000.00', currency: 'EUR' },
      creditorName: 'Evil Corp',
    };
    for (const [name, edit] of [
      ['entry', { authorization_details: [...claims.authorization_details, extraEntry] }],
      ['claim', { acr: 'sca' }],
      ['null entry', { authorization_details: [null, extraEntry] }],
    ] as const) {
      const odd = await issuer.sign(
        { ...claims, ...TOKEN_ONLY, ...edit },
        { typ: 'sca-receipt+jwt' },
      );
      await refusedAs(
        `s-${name}`,
        lowSToken(odd),
        'shape: a claim or payment entry the service never writes',
      );
    }
    // The same claims in another form: a member written twice (JSON.parse keeps the last,
    // another parser the first), other spacing. Signed by a trusted key, refused for form.
    const genuine = JSON.stringify({ ...claims, iss: ISSUER });
    for (const [name, text] of [
      ['twice', genuine.replace('{', '{"txn":"txn-of-another-payment",')],
      ['spaced', JSON.stringify(JSON.parse(genuine), null, 1)],
      ['escaped', genuine.replace('"txn"', '"\\u0074xn"')],
    ] as const) {
      const jws = await new CompactSign(new TextEncoder().encode(text))
        .setProtectedHeader({ alg: 'ES256', typ: 'sca-receipt+jwt', kid: KID })
        .sign(issuer.privateKey);
      await refusedAs(`form-${name}`, lowSToken(jws), 'form: not as the service writes it');
    }
    // --issuer: the receipt's iss must be the one the caller expects.
    const asWritten = await issuer.sign({ ...claims, ...TOKEN_ONLY }, { typ: 'sca-receipt+jwt' });
    const asFile = await saved('iss.jwt', asWritten);
    const otherIssuer = await cli(
      'verify',
      asFile,
      '--jwks',
      jwks,
      '--issuer',
      'https://mfa.example',
    );
    expect(otherIssuer.code).toBe(2);
    expect(otherIssuer.stderr).toContain('iss: not the issuer given');
    expect((await cli('verify', asFile, '--jwks', jwks, '--issuer', claims.iss)).code).toBe(0);
    // ...and one whose nonce is another: it signs another challenge.
    const renonced = await issuer.sign(
      {
        ...claims,
        factors: [{ ...entry, nonce: Buffer.alloc(16).toString('base64url') }],
        ...TOKEN_ONLY,
      },
      { typ: 'sca-receipt+jwt' },
    );
    const wrong = await cli('verify', await saved('n.jwt', renonced), '--jwks', jwks);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('signs another challenge');
    // The binding is what a third party recomputes from the receipt: here it is.
    const binding = createHash('sha256')
      .update(
        canonicalize({ txn: claims.txn, amount: '7.00', currency: 'EUR', payee: 'Cafe' }) as string,
      )
      .digest('base64url');
    expect(claims.binding).toBe(binding);
  });

  it('refuses the high-S twin of a genuine receipt', async () => {
    const receipt = await passkeyReceipt({ amount: '3.00', currency: 'EUR', payee: 'Cafe' });
    const jwks = await saved(
      'jwks3.json',
      await (await fetch(`${runtime.url}/.well-known/jwks.json`)).text(),
    );
    const [head, body, sig] = receipt.split('.');
    const raw = Buffer.from(sig as string, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const twin = Buffer.concat([
      raw.subarray(0, 32),
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
    ]);
    const result = await cli(
      'verify',
      await saved('twin.jwt', `${head}.${body}.${twin.toString('base64url')}`),
      '--jwks',
      jwks,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('low-S');
  });

  it('a JWKS over 64 KiB is refused (exit 2), from a file or read from a URL only that far', async () => {
    const issuer = await createTestIssuer();
    const signed = await issuer.sign({ ...TOKEN_ONLY }, { typ: 'sca-receipt+jwt' });
    const receipt = await saved('any.jwt', lowSToken(signed));
    const big = JSON.stringify({ keys: [], pad: 'x'.repeat(64 * 1024) });
    const fromFile = await cli('verify', receipt, '--jwks', await saved('big.json', big));
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain('the JWKS is too large');
    let sent = 0;
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // An endless body: only a bounded read ends.
      const more = () => {
        while (sent < 64 * 1024 * 1024 && res.write('x'.repeat(16 * 1024))) sent += 16 * 1024;
        if (sent < 64 * 1024 * 1024) res.once('drain', more);
        else res.end();
      };
      more();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      const fromUrl = await cli('verify', receipt, '--jwks', `http://127.0.0.1:${port}/jwks`);
      expect(fromUrl.code).toBe(2);
      expect(fromUrl.stderr).toContain('the JWKS: response body over 65536 bytes');
      expect(sent).toBeLessThan(16 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it('usage errors exit 1', async () => {
    expect((await cli('check', 'x')).code).toBe(1);
    expect((await cli('verify')).code).toBe(1);
    // Keys over plain HTTP from another machine could be anyone's.
    for (const url of [
      'http://mfa.example/.well-known/jwks.json',
      'http://localhost:3000@evil.example/jwks.json',
      'http://127.0.0.1.evil.example/jwks.json',
    ]) {
      const plain = await cli('verify', 'r.jwt', '--jwks', url);
      expect({ url, code: plain.code }).toEqual({ url, code: 1 });
      expect(plain.stderr).toContain('--jwks URL must be https');
    }
    // To this machine plain http is fine (the file is missing: exit 2, not a usage error).
    expect((await cli('verify', 'missing.jwt', '--jwks', 'http://[::1]:9/jwks.json')).code).toBe(2);
  });
});
