import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium } from '../support/browser.js';
import { unique } from '../support/flows.js';
import { startTestRuntime } from '../support/local.js';

const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results');

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let browser: Browser;
/** The page's origin: passkeys need a host name, and the runtime's RP id is `localhost`. */
let origin: string;

beforeAll(async () => {
  browser = await launchChromium();
  runtime = await startTestRuntime({ logLevel: 'warn' });
  origin = `http://localhost:${new URL(runtime.url).port}`;
  await mkdir(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});

/** What the tests touch of the page's `PublicKeyCredential` (this project's lib has no DOM). */
interface WebAuthnApi extends Record<string, unknown> {
  readonly prototype: Record<string, unknown>;
}

/** The page's `PaymentRequest`, as far as asking `canMakePayment()`. */
type PaymentRequestApi = new (
  methods: unknown[],
  details: unknown,
) => { canMakePayment(): Promise<boolean> };

interface DemoTab {
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
}

/**
 * The demo page in a tab with a CDP virtual authenticator: a platform authenticator (internal,
 * CTAP2) that keeps resident keys, verifies its user and is touched without anyone there.
 * `spcAutoAccept`: Secure Payment Confirmation dialogs are accepted (Page.setSPCTransactionMode).
 * `oldWebAuthn`: the page sees a browser without the JSON helpers of WebAuthn Level 3
 * (`parseCreationOptionsFromJSON`, `parseRequestOptionsFromJSON`, `toJSON()`).
 */
const openDemoTab = async (
  options: { spcAutoAccept?: boolean; oldWebAuthn?: boolean } = {},
): Promise<DemoTab> => {
  const page = await browser.newPage();
  if (options.oldWebAuthn) {
    await page.addInitScript(() => {
      const api = (globalThis as unknown as { PublicKeyCredential: WebAuthnApi })
        .PublicKeyCredential;
      delete api.parseCreationOptionsFromJSON;
      delete api.parseRequestOptionsFromJSON;
      delete api.prototype.toJSON;
    });
  }
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  if (options.spcAutoAccept) await cdp.send('Page.setSPCTransactionMode', { mode: 'autoAccept' });
  await page.goto(`${origin}/`);
  return { page, cdp, authenticatorId };
};

/** The text of a live region once it says `text`. */
const shows = async (page: Page, selector: string, text: string) => {
  const region = page.locator(selector, { hasText: text });
  await region.waitFor();
  return region.innerText();
};

/** Step 2 by a person: a user id, then "Add a passkey"; the browser's authenticator makes it. */
const addPasskey = async ({ page, cdp, authenticatorId }: DemoTab) => {
  const userId = unique('web-passkey-');
  await page.getByLabel('User id').fill(userId);
  await page.getByLabel('Or a passkey, named').fill('Test laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  expect(await shows(page, '#enroll-status', 'is ACTIVE')).toMatch(
    /^Passkey \S+ \(webauthn\) is ACTIVE/,
  );
  // The browser made it: a resident key of RP localhost in the virtual authenticator.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0]).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
  return { userId, credential: credentials[0] };
};

/** Step 3 up to the factor choice: a payment step-up, the passkey the only factor offered. */
const startPayment = async (page: Page) => {
  await page.getByLabel('Amount').fill('42.50');
  await page.getByLabel('Payee').fill('Bakery Ltd');
  await page.getByRole('button', { name: 'Start step-up' }).click();
  await shows(page, '#pay-status', 'required');
  expect(await page.getByRole('radio', { name: /^Passkey Test laptop / }).isChecked()).toBe(true);
  expect(await page.getByRole('button', { name: 'Send challenge' }).isHidden()).toBe(true);
};

const approveWithPasskey = (page: Page) =>
  page.getByRole('button', { name: 'Approve with passkey' }).click();

describe('demo page: passkeys (Debian Chromium, CDP virtual authenticator)', () => {
  it('adds a passkey, approves a payment with it: SUCCESS, an sca token (amr hwk or swk) that /demo/dogs accepts', async () => {
    const tab = await openDemoTab();
    const { page } = tab;
    const { userId, credential } = await addPasskey(tab);
    const signedBefore = credential?.signCount ?? Number.NaN;

    await startPayment(page);
    await approveWithPasskey(page);
    expect(await shows(page, '#pay-status', 'Verified')).toMatch(
      /^Verified: transaction \S+ approved, MFA token issued/,
    );
    expect(await page.locator('#pay-error').innerText()).toBe('');
    const claims = JSON.parse(await page.locator('#token-claims').innerText());
    expect(claims).toMatchObject({ sub: userId, acr: 'sca' });
    expect(claims.amr).toEqual(
      expect.arrayContaining(['user', expect.stringMatching(/^(hwk|swk)$/)]),
    );
    expect(claims.authorization_details[0]).toMatchObject({
      instructedAmount: { amount: '42.50', currency: 'EUR' },
      creditorName: 'Bakery Ltd',
    });
    // The authenticator signed once (its counter moved) and the token works on the app's API.
    const after = await tab.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: tab.authenticatorId,
    });
    expect(after.credentials[0]?.signCount).toBe(signedBefore + 1);
    await page.getByRole('button', { name: 'GET /demo/dogs' }).click();
    expect(await shows(page, '#dogs-answer', 'HTTP')).toContain('GET /demo/dogs → HTTP 200');
    await page.screenshot({
      path: path.join(SCREENSHOTS, 'demo-page-passkey.png'),
      fullPage: true,
    });
    expect(browser.errors).toEqual([]);
  });

  it('with user verification failing, the browser signs nothing: the page shows the refusal and no token; verified again, the same passkey approves', async () => {
    const tab = await openDemoTab();
    const { page, cdp, authenticatorId } = tab;
    const { credential } = await addPasskey(tab);
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });

    await startPayment(page);
    await approveWithPasskey(page);
    expect(await shows(page, '#pay-error', 'refused')).toMatch(
      /^Error: The browser refused the passkey \(NotAllowedError: .+\)\. Nothing sent\.$/,
    );
    expect(await page.locator('#pay-status').innerText()).toBe('');
    expect(await page.locator('#token-none').isVisible()).toBe(true);
    expect(await page.locator('#token-claims').innerText()).toBe('');
    expect(await page.getByRole('button', { name: 'GET /demo/dogs' }).isDisabled()).toBe(true);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials[0]?.signCount).toBe(credential?.signCount); // it did not sign

    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    await approveWithPasskey(page);
    await shows(page, '#pay-status', 'Verified');
    expect(await page.locator('#pay-error').innerText()).toBe('');
    expect(JSON.parse(await page.locator('#token-claims').innerText())).toMatchObject({
      acr: 'sca',
    });
  });

  it('in a browser without the WebAuthn JSON helpers, the page converts options and credentials itself (base64url): added and approved all the same', async () => {
    const tab = await openDemoTab({ oldWebAuthn: true });
    const { page } = tab;
    expect(
      await page.evaluate(() => {
        const api = (globalThis as unknown as { PublicKeyCredential: WebAuthnApi })
          .PublicKeyCredential;
        return [
          typeof api.parseCreationOptionsFromJSON,
          typeof api.parseRequestOptionsFromJSON,
          typeof api.prototype.toJSON,
        ];
      }),
    ).toEqual(['undefined', 'undefined', 'undefined']);
    const { userId } = await addPasskey(tab);
    await startPayment(page);
    await approveWithPasskey(page);
    await shows(page, '#pay-status', 'Verified');
    expect(JSON.parse(await page.locator('#token-claims').innerText())).toMatchObject({
      sub: userId,
      acr: 'sca',
    });
    expect(browser.errors).toEqual([]);
  });

  it('opened by IP address (no RP id can match), the page offers no passkey and says where to open it', async () => {
    const page = await browser.newPage();
    await page.goto(`${runtime.url}/`); // http://127.0.0.1:PORT
    expect(await page.locator('#passkey-note').innerText()).toBe(
      `Passkeys need a host name, not an IP address: open ${origin}/.`,
    );
    expect(await page.getByRole('button', { name: 'Add a passkey' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Enroll', exact: true }).isVisible()).toBe(true);
  });

  it('Secure Payment Confirmation: this Chromium does not offer it, even with SPC dialogs auto-accepted, so its button stays hidden and a note says why', async () => {
    const tab = await openDemoTab({ spcAutoAccept: true });
    const { page } = tab;
    const { credential } = await addPasskey(tab);
    await startPayment(page);
    expect(await page.getByRole('button', { name: 'Approve with passkey' }).isVisible()).toBe(true);
    expect(await shows(page, '#spc-note', 'not available')).toBe(
      'Secure Payment Confirmation is not available in this browser (canMakePayment() answered false: unavailable-feature-not-enabled).',
    );
    expect(
      await page.getByRole('button', { name: 'Approve with Secure Payment Confirmation' }).count(),
    ).toBe(0); // hidden: not in the accessibility tree
    expect(await page.locator('#approve-spc').isHidden()).toBe(true);

    // The browser's own answer for this user's real passkey, asked outside the page's code.
    const canPay = await page.evaluate(async (credentialId) => {
      const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const { PaymentRequest } = globalThis as unknown as { PaymentRequest: PaymentRequestApi };
      const request = new PaymentRequest(
        [
          {
            supportedMethods: 'secure-payment-confirmation',
            data: {
              rpId: 'localhost',
              credentialIds: [bytes(credentialId)],
              challenge: new Uint8Array(32),
              payeeName: 'Bakery Ltd',
              instrument: {
                displayName: 'Test laptop',
                icon: 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7',
                iconMustBeShown: false,
              },
            },
          },
        ],
        { total: { label: 'Total', amount: { currency: 'EUR', value: '42.50' } } },
      );
      return request.canMakePayment();
    }, credential?.credentialId ?? '');
    expect(canPay).toBe(false);
  });
});
