import type { MfaClient, VerifyResult } from '../../client/index.js';
import { credentialJson, fromBase64url } from './passkey-json.js';
import { inBrowser } from './passkeys.js';

const SPC = 'secure-payment-confirmation';

/** `securePaymentConfirmation` of a passkey challenge for a payment (buffers base64url). */
interface SpcJson {
  readonly credentialIds: readonly string[];
  readonly challenge: string;
  readonly total: { readonly currency: string; readonly value: string };
  readonly [member: string]: unknown;
}

/** A payment request for SPC: its data (buffers as bytes) and the total to show. */
const spcRequest = ({ credentialIds, challenge, total, ...rest }: SpcJson) =>
  new PaymentRequest(
    [
      {
        supportedMethods: SPC,
        data: {
          ...rest,
          credentialIds: credentialIds.map(fromBase64url),
          challenge: fromBase64url(challenge),
        },
      },
    ],
    { total: { label: 'Total', amount: total } },
  );

// A made-up request: whether the browser offers SPC at all, not whether this user has a passkey.
const PROBE: SpcJson = {
  rpId: location.hostname,
  credentialIds: ['AAAAAAAAAAAAAAAAAAAAAA'],
  challenge: 'AAAAAAAAAAAAAAAAAAAAAA',
  payeeName: 'Probe',
  instrument: {
    displayName: 'Probe',
    icon: 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7',
    iconMustBeShown: false,
  },
  total: { currency: 'EUR', value: '0.01' },
};

/** The browser's own SPC availability answer (`"available"`, `"unavailable-…"`), if it has one. */
const availability = async (): Promise<string | undefined> => {
  const ask = (
    PaymentRequest as unknown as { securePaymentConfirmationAvailability?: () => Promise<string> }
  ).securePaymentConfirmationAvailability;
  return typeof ask === 'function' ? ask.call(PaymentRequest).catch(() => undefined) : undefined;
};

/**
 * Why this browser cannot approve with Secure Payment Confirmation, or undefined if it can:
 * `canMakePayment()` decides, and the browser's availability answer, if any, says why not.
 */
export const spcProblem = async (): Promise<string | undefined> => {
  if (typeof PaymentRequest !== 'function') return 'this browser has no PaymentRequest';
  try {
    if (await spcRequest(PROBE).canMakePayment()) return undefined;
    const why = await availability();
    return `canMakePayment() answered false${why && why !== 'available' ? `: ${why}` : ''}`;
  } catch (error) {
    return `PaymentRequest refused it: ${error instanceof Error ? error.name : String(error)}`;
  }
};

/**
 * Step 3 with Secure Payment Confirmation: the passkey's challenge, the browser's own dialog
 * showing the payee and total (`PaymentRequest.show()`), and verify with the assertion it
 * returns (`PaymentResponse.details`).
 */
export const approveWithSpc = async (
  mfa: MfaClient,
  factorId: string,
  stateToken: string,
): Promise<VerifyResult> => {
  const challenge = await mfa.challenge(factorId, { stateToken });
  const spc = challenge.securePaymentConfirmation as SpcJson | undefined;
  if (!spc) throw new Error('The challenge answer has no Secure Payment Confirmation data.');
  const response = await inBrowser('the payment confirmation', spcRequest(spc).show());
  try {
    const credential = credentialJson(response.details as PublicKeyCredential);
    const verified = await mfa.verify(factorId, { stateToken, credential });
    await response.complete('success');
    return verified;
  } catch (error) {
    await response.complete('fail').catch(() => {});
    throw error;
  }
};
