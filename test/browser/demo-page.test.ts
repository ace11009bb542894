import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { generateSync } from 'otplib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium } from '../support/browser.js';
import { unique } from '../support/flows.js';
import { startTestRuntime } from '../support/local.js';

const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results');

// The service's clock runs `skewMs` ahead of the real one: the tests move it past the TOTP
// time step of an activation and past the max age of /demo/cats instead of sleeping.
let skewMs = 0;
const clock = { now: () => new Date(Date.now() + skewMs) };

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  runtime = await startTestRuntime({ clock, logLevel: 'warn' });
  await mkdir(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});

/** The text of a live region once it says `text`. */
const shows = async (page: Page, selector: string, text: string) => {
  const region = page.locator(selector, { hasText: text });
  await region.waitFor();
  return region.innerText();
};

/** The one-time code of the `count`-th message in the outbox panel, as a person reads it. */
const codeInOutbox = async (page: Page, count: number) => {
  const message = page
    .getByRole('log', { name: 'Outbox' })
    .getByRole('listitem')
    .nth(count - 1);
  await message.waitFor();
  const text = await message.innerText();
  return { text, code: /\b(\d{6,8})\b/.exec(text)?.[1] ?? '' };
};

const totpNow = (secret: string) =>
  generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });

/** Steps 3 and 4 by keyboard once the code is known: verify, then GET /demo/dogs and /demo/cats. */
const verifyAndCallRoutes = async (page: Page, code: string) => {
  await page.keyboard.type(code); // the code field has the focus after the challenge
  await page.keyboard.press('Enter');
  await shows(page, '#pay-status', 'Verified');
  await page.keyboard.press('Enter'); // the focus moved to GET /demo/dogs
  expect(await shows(page, '#dogs-answer', 'HTTP')).toContain('GET /demo/dogs → HTTP 200');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  expect(await shows(page, '#cats-answer', 'HTTP')).toContain('GET /demo/cats → HTTP 200');
};

/** Past the max age of /demo/cats: its answer is the RFC 9470 challenge. */
const catsAsksForStepUp = async (page: Page) => {
  skewMs += 61_000;
  await page.getByRole('button', { name: 'GET /demo/cats' }).click();
  const answer = await shows(page, '#cats-answer', 'HTTP 401');
  expect(answer).toContain(
    'WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=60',
  );
  expect(answer).toContain('"code": "insufficient_user_authentication"');
};

describe('demo page (Debian Chromium)', () => {
  it('email: enroll, activate, approve a payment with the code from the outbox, call the routes, and step up again when /demo/cats asks', async () => {
    const page = await browser.newPage();
    await page.goto(runtime.url);
    const userId = unique('web-email-');
    await page.getByLabel('User id').fill(userId);
    expect(await page.getByLabel('Email address').inputValue()).toBe(`${userId}@example.com`);
    await page.getByRole('radio', { name: 'Email' }).check();
    await page.getByRole('button', { name: 'Enroll' }).click();
    const activation = await codeInOutbox(page, 1);
    const wrong = String((Number(activation.code) + 1) % 1_000_000).padStart(6, '0');
    await page.keyboard.type(wrong); // the activation code field has the focus
    await page.keyboard.press('Enter');
    // A refusal reads as the problem's detail, code and status, in an alert.
    expect(await shows(page, '#enroll-error', 'invalid_passcode')).toMatch(
      /^Error: .+ \(invalid_passcode, HTTP 401\) 4 attempts left\.$/,
    );
    await page.getByLabel('Activation code').fill(activation.code);
    await page.keyboard.press('Enter');
    await shows(page, '#enroll-status', 'is ACTIVE');
    expect(await page.getByRole('alert').filter({ hasText: 'Error' }).count()).toBe(0);

    await page.getByLabel('Amount').fill('42.50');
    await page.getByLabel('Payee').fill('Bakery Ltd');
    await page.getByRole('button', { name: 'Start step-up' }).click();
    await shows(page, '#pay-status', 'mfa required');
    expect(await page.getByRole('radio', { name: /^Email / }).isChecked()).toBe(true);
    await page.keyboard.press('Tab'); // from the factor, focused, to "Send challenge"
    await page.keyboard.press('Enter');
    const challenge = await codeInOutbox(page, 2);
    expect(challenge.text).toContain('42.50 EUR');
    expect(challenge.text).toContain('Bakery Ltd');
    await verifyAndCallRoutes(page, challenge.code);

    const claims = JSON.parse(await page.locator('#token-claims').innerText());
    expect(claims).toMatchObject({ sub: userId, acr: 'mfa', amr: ['otp', 'mfa'] });
    expect(claims.authorization_details[0]).toMatchObject({
      instructedAmount: { amount: '42.50', currency: 'EUR' },
      creditorName: 'Bakery Ltd',
    });
    expect(JSON.parse(await page.locator('#token-header').innerText())).toMatchObject({
      alg: 'ES256',
      typ: 'mfa+jwt',
    });

    await catsAsksForStepUp(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'demo-page-email.png'), fullPage: true });

    await page.getByRole('button', { name: 'Step up again' }).click();
    await shows(page, '#pay-status', 'mfa required');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await verifyAndCallRoutes(page, (await codeInOutbox(page, 3)).code);
    expect(browser.errors).toEqual([]);
  });

  it('totp: the QR code and secret of the enrollment, codes computed from that secret, then /demo/cats asks for a step-up', async () => {
    const page = await browser.newPage();
    await page.goto(runtime.url);
    await page.getByLabel('User id').fill(unique('web-totp-'));
    await page.getByRole('radio', { name: 'Authenticator app' }).check();
    await expect.poll(() => page.getByLabel('Email address').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Enroll' }).click();
    const qr = page.getByRole('img', { name: 'QR code of the authenticator app key' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(
      await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    const secret = await page.locator('#totp-secret').innerText();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.screenshot({
      path: path.join(SCREENSHOTS, 'demo-page-totp-enroll.png'),
      fullPage: true,
    });

    await page.keyboard.type(totpNow(secret));
    await page.keyboard.press('Enter');
    await shows(page, '#enroll-status', 'is ACTIVE');
    skewMs += 30_000; // the next time step: a step is accepted once per factor

    await page.getByRole('button', { name: 'Start step-up' }).click();
    await shows(page, '#pay-status', 'mfa required');
    await page.getByRole('button', { name: 'Send challenge' }).click();
    await shows(page, '#pay-status', 'authenticator app');
    await verifyAndCallRoutes(page, totpNow(secret));
    await catsAsksForStepUp(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'demo-page-totp.png'), fullPage: true });
    expect(browser.errors).toEqual([]);
  });
});
