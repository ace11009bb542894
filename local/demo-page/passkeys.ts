import type { MfaClient, VerifyResult } from '../../client/index.js';
import { byId, fieldValue, onSubmit, reporter } from './dom.js';
import { creationOptions, credentialJson, requestOptions } from './passkey-json.js';

/**
 * A refusal of the browser (a `DOMException`: `NotAllowedError` when the person cancelled or
 * the authenticator could not verify them) as an error for the page: nothing was sent.
 */
export const inBrowser = async <T>(what: string, step: Promise<T>): Promise<T> => {
  try {
    return await step;
  } catch (error) {
    if (!(error instanceof DOMException)) throw error;
    throw new Error(`The browser refused ${what} (${error.name}: ${error.message}). Nothing sent.`);
  }
};

const IP_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

/** Why this page cannot use passkeys, if it cannot: WebAuthn missing, or opened by IP address. */
export const passkeyProblem = (): string | undefined => {
  if (typeof PublicKeyCredential !== 'function') return 'This browser has no passkeys (WebAuthn).';
  if (IP_ADDRESS.test(location.hostname)) {
    return `Passkeys need a host name, not an IP address: open http://localhost:${location.port}/.`;
  }
  return undefined;
};

/** The service's RP id must be this page's host (or a parent domain of it). */
const checkRpId = (rpId: string | undefined) => {
  const host = location.hostname;
  if (rpId && host !== rpId && !host.endsWith(`.${rpId}`)) {
    throw new Error(`The service's passkeys are for ${rpId}: open this page on that host.`);
  }
};

export interface AddPasskeyDeps {
  readonly mfa: MfaClient;
  readonly userId: () => string;
}

/** Step 2, "Add a passkey": enroll a webauthn factor, make the credential, activate with it. */
export const setupAddPasskey = ({ mfa, userId }: AddPasskeyDeps): void => {
  const report = reporter('enroll');
  const form = byId<HTMLFormElement>('passkey-form');
  const problem = passkeyProblem();
  if (problem) {
    form.hidden = true;
    byId('passkey-note').textContent = problem;
    return;
  }
  onSubmit(form, report, async () => {
    const user = userId();
    const displayName = fieldValue('passkey-name');
    byId('activation').hidden = true;
    const { factor, activation } = await mfa.enrollFactor(user, {
      type: 'webauthn',
      ...(displayName ? { displayName } : {}),
    });
    if (!activation?.publicKey) throw new Error(`Enrolled ${factor.id} without passkey options.`);
    const publicKey = creationOptions(activation.publicKey);
    checkRpId(publicKey.rp.id);
    report.ok(`Enrolled ${factor.id}: confirm in the browser to make the passkey.`);
    const credential = await inBrowser(
      'to make the passkey',
      navigator.credentials.create({ publicKey }),
    );
    if (!credential) throw new Error('The browser made no passkey.');
    const { factor: active } = await mfa.activateFactor(user, factor.id, {
      credential: credentialJson(credential as PublicKeyCredential),
    });
    report.ok(`Passkey ${active.id} (webauthn) is ${active.status}: approve a payment with it.`);
    byId('amount').focus();
  });
};

/** Step 3 with a passkey: its challenge, `navigator.credentials.get()`, and verify. */
export const approveWithPasskey = async (
  mfa: MfaClient,
  factorId: string,
  stateToken: string,
): Promise<VerifyResult> => {
  const challenge = await mfa.challenge(factorId, { stateToken });
  if (!challenge.publicKey) throw new Error('The challenge answer has no passkey request.');
  const publicKey = requestOptions(challenge.publicKey);
  const credential = await inBrowser('the passkey', navigator.credentials.get({ publicKey }));
  if (!credential) throw new Error('The browser gave no passkey.');
  const json = credentialJson(credential as PublicKeyCredential);
  return mfa.verify(factorId, { stateToken, credential: json });
};
