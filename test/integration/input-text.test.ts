import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeFactor,
  challenge,
  expectProblem,
  json,
  lastCode,
  startAuthn,
  unique,
  uniquePhone,
  verify,
} from '../support/flows.js';
import { basicAuth, postJson, startTestRuntime } from '../support/local.js';

/**
 * Issue 11 items 3 and 4 over HTTP: text a user reads (payee, context) and money (currency,
 * decimals) are checked at the API, and the message shows the NFC form of what was accepted.
 */
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => {
  await runtime?.close();
});

const payment = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };
const start = (body: Record<string, unknown>) =>
  postJson(base, '/v1/authn', { userId: unique('text'), ...body });

/** A refusal: 400 `invalid_request` whose detail names the field and rule, not the value. */
const expectRefused = async (response: Response, field: string, rule: RegExp | string) => {
  const body = await expectProblem(response, 400, 'invalid_request');
  expect(body.detail).toContain(`${field}: `);
  expect(body.detail).toMatch(rule);
  return body.detail as string;
};

describe('payee and context are display text', () => {
  it('a payee whose bytes are not UTF-8 → 400 naming transaction.payee (not the replacement character)', async () => {
    const body = Buffer.concat([
      Buffer.from(
        `{"userId":"${unique('text')}","transaction":{"amount":"1.00","currency":"EUR","payee":"x`,
      ),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('y"}}'),
    ]);
    const response = await fetch(`${base}/v1/authn`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body,
    });
    await expectRefused(response, 'transaction.payee', /must not contain U\+FFFD/);
  });

  it('a right-to-left override in the payee → 400 naming transaction.payee', async () => {
    const detail = await expectRefused(
      await start({ transaction: { ...payment, payee: '\u202edtL EMCA' } }),
      'transaction.payee',
      /must not contain invisible format characters/,
    );
    expect(detail).not.toContain('dtL EMCA');
    expect(detail).not.toContain('\u202e');
  });

  it.each([
    ['U+2066 isolate', 'ACME \u2066Ltd'],
    ['U+2028 line separator', 'ACME\u2028Ltd'],
    ['U+E000 private use', 'ACME \ue000'],
    ['U+0378 unassigned', 'ACME \u0378'],
    ['U+3164 Hangul filler (shows as nothing)', '\u3164'],
    ['stacked combining marks', 'A\u0301\u0302\u0303\u0304\u0305CME'],
    ['only a braille blank', '\u2800'],
  ])('a payee with %s → 400 invalid_request', async (_name, payee) => {
    await expectRefused(
      await start({ transaction: { ...payment, payee } }),
      'transaction.payee',
      /must not contain|must not stack|at least one letter/,
    );
  });

  it('a zero-width space in context.userAgent → 400 naming context.userAgent', async () => {
    await expectRefused(
      await start({ context: { userAgent: 'Mozilla/5.0\u200b' } }),
      'context.userAgent',
      /must not contain invisible format characters/,
    );
  });

  it.each([
    ['deviceId', { deviceId: 'device\ufeff' }],
    ['ip', { ip: '203.0.113.7\u2029' }],
  ])('a refused character in context.%s → 400 naming it', async (field, context) => {
    await expectRefused(await start({ context }), `context.${field}`, /must not contain/);
  });

  it('a consentId outside its ASCII pattern → 400 naming consentId', async () => {
    await expectRefused(await start({ consentId: 'consent\u202e42' }), 'consentId', /A-Z a-z 0-9/);
  });

  it('70 characters of payee pass; 71 → 400 with the limit in the detail', async () => {
    const seventy = 'Ä'.repeat(70);
    expect((await start({ transaction: { ...payment, payee: seventy } })).status).toBe(200);
    await expectRefused(
      await start({ transaction: { ...payment, payee: `${seventy}x` } }),
      'transaction.payee',
      /must be at most 70 characters/,
    );
  });

  it('a decomposed accented payee is accepted; the SMS and the token carry its NFC form', async () => {
    const userId = unique('nfc');
    const phone = uniquePhone();
    const factorId = await activeFactor(base, userId, 'sms', phone);
    const started = await startAuthn(base, {
      userId,
      transaction: { ...payment, payee: 'Mu\u0308ller & Søn Ltd' },
    });
    expect(started.status).toBe('MFA_REQUIRED');
    expect((await challenge(base, started.stateToken, factorId)).status).toBe(200);

    const outbox = await json(await fetch(`${base}/_local/outbox?to=${encodeURIComponent(phone)}`));
    const sms = outbox.messages.at(-1).body as string;
    expect(sms).toContain('250.00 EUR to Müller & Søn Ltd.');
    expect(sms).not.toContain('u\u0308');

    const verified = await json(
      await verify(base, started.stateToken, factorId, await lastCode(base, phone)),
    );
    const claims = JSON.parse(Buffer.from(verified.token.split('.')[1], 'base64url').toString());
    expect(claims.authorization_details[0].creditorName).toBe('Müller & Søn Ltd');
  });
});

describe('currency is ISO 4217 and the amount fits its minor unit', () => {
  it.each([
    ['BTC', '100'],
    ['eur', '100.50'],
    ['XAU', '1'],
  ])('currency %s → 400 naming transaction.currency (only)', async (currency, amount) => {
    const detail = await expectRefused(
      await start({ transaction: { ...payment, currency, amount } }),
      'transaction.currency',
      /must be an upper-case ISO 4217 currency code/,
    );
    // An unknown currency has no minor unit: nothing more is said of the amount.
    expect(detail).not.toContain('transaction.amount');
  });

  it.each([
    ['JPY', '100.5'],
    ['JPY', '100.0'],
    ['EUR', '1.234'],
    ['BHD', '1.2345'],
  ])('%s %s → 400 naming transaction.amount', async (currency, amount) => {
    await expectRefused(
      await start({ transaction: { ...payment, currency, amount } }),
      'transaction.amount',
      /minor unit/,
    );
  });

  it.each([
    ['JPY', '100'],
    ['BHD', '1.234'],
    ['EUR', '1.23'],
    ['CLF', '1.2345'],
  ])('%s %s → 200', async (currency, amount) => {
    const response = await start({ transaction: { ...payment, currency, amount } });
    expect(response.status).toBe(200);
    expect((await json(response)).status).toBe('MFA_ENROLL');
  });
});
