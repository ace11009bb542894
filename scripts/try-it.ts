/**
 * `npm run try-it [-- BASE_URL | --base-url BASE_URL]`: a payment step-up against a running local service (npm start),
 * through the typed client: enroll an email factor, start a transaction with a payment,
 * challenge, read the code from the local outbox, verify, print the decoded MFA token and
 * call /demo/cats with it, then show the receipt's place in the user's audit chain and verify
 * the chain. As the seeded app demo:demo-secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MfaClient } from '../client/index.js';
import { runAudit } from './audit.js';

/** The base URL: the one argument, or `--base-url` as the smoke script takes it. */
const baseUrl = (): string => {
  const { values, positionals } = parseArgs({
    options: { 'base-url': { type: 'string' } },
    allowPositionals: true,
    strict: false,
  });
  const given = (values['base-url'] as string | undefined) ?? positionals[0];
  const base = given ?? 'http://localhost:3000';
  if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
    process.stderr.write(
      `try-it: ${JSON.stringify(base)} is not an http(s) URL\nusage: npm run try-it [-- BASE_URL | --base-url BASE_URL]\n`,
    );
    process.exit(2);
  }
  return base.replace(/\/$/, '');
};
const base = baseUrl();
const mfa = new MfaClient({ baseUrl: base, clientId: 'demo', clientSecret: 'demo-secret' });
const userId = `user-${Math.floor(Math.random() * 100_000)}`;
const email = `${userId}@example.com`;

/** The newest message to the user's email in the local outbox, and the code in it. */
const lastMessage = async () => {
  const answer = await fetch(`${base}/_local/outbox?to=${encodeURIComponent(email)}`);
  const { messages } = (await answer.json()) as { messages: { body: string }[] };
  const body = messages.at(-1)?.body ?? '';
  return { body, code: /\d{6,8}/.exec(body)?.[0] ?? '' };
};

const { factor } = await mfa.enrollFactor(userId, { type: 'email', email });
await mfa.activateFactor(userId, factor.id, { passCode: (await lastMessage()).code });
console.log(`1. enrolled and activated ${factor.id} for ${userId}`);

const started = await mfa.startAuthn({
  userId,
  transaction: { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' },
  consentId: 'consent-42',
});
if (started.status !== 'MFA_REQUIRED') throw new Error(`start answered ${started.status}`);
console.log('2. started a transaction for a payment');
const { stateToken } = started;
await mfa.challenge(factor.id, { stateToken });
const message = await lastMessage();
console.log(`3. challenged; the email says: ${message.body}`);

const verified = await mfa.verify(factor.id, { stateToken, passCode: message.code });
if (verified.status !== 'SUCCESS') throw new Error(`verify answered ${verified.status}`);
const claims = JSON.parse(Buffer.from(verified.token.split('.')[1] ?? '', 'base64url').toString());
console.log("4. verified; the MFA token's claims:");
console.log(JSON.stringify(claims, null, 2));
const cats = await fetch(`${base}/demo/cats`, {
  headers: { authorization: `Bearer ${verified.token}` },
});
console.log(`5. GET /demo/cats with it: HTTP ${cats.status}`);

// The receipt names the operation's event in the user's audit chain; the chain verifies.
const receipt = JSON.parse(
  Buffer.from((verified.receipt ?? '').split('.')[1] ?? '', 'base64url').toString(),
);
// Anchored at the receipt: the chain must hold its event, saying what the receipt says.
const receiptFile = path.join(mkdtempSync(path.join(tmpdir(), 'try-it-')), 'receipt.jwt');
writeFileSync(receiptFile, verified.receipt ?? '');
let chain = '';
const auditArgs = ['verify', '--app', 'demo', '--user', userId, '--url', base];
const exit = await runAudit([...auditArgs, '--receipt', receiptFile], {
  stdout: (text) => {
    chain += text.trim();
  },
  stderr: (text) => {
    chain += text.trim();
  },
});
console.log(`6. the receipt's audit member: ${JSON.stringify(receipt.audit)}`);
console.log(
  `   npm run audit -- verify --app demo --user ${userId} --receipt receipt.jwt: ${chain} (exit ${exit})`,
);
rmSync(path.dirname(receiptFile), { recursive: true });
