import type { MfaClient, VerifyResult } from '../../client/index.js';
import { byId } from './dom.js';
import { approveWithPasskey } from './passkeys.js';
import { approveWithSpc, spcProblem } from './spc.js';

export interface PasskeyActions {
  /** Shows the passkey buttons instead of "Send challenge" while a passkey is the pick. */
  show(passkey: boolean): void;
  /** Approves with the passkey: with SPC when that button was pressed, else WebAuthn. */
  approve(
    submitter: HTMLElement | null,
    factorId: string,
    stateToken: string,
  ): Promise<VerifyResult>;
}

/**
 * Step 3's passkey buttons: "Approve with passkey", and "Approve with Secure Payment
 * Confirmation" only where the browser offers SPC (else a note says why not).
 */
export const setupPasskeyActions = (mfa: MfaClient): PasskeyActions => {
  const send = byId('send-challenge');
  const actions = byId('passkey-actions');
  const spcButton = byId('approve-spc');
  const note = byId('spc-note');
  let spcReady = false;
  void spcProblem().then((problem) => {
    spcReady = problem === undefined;
    spcButton.hidden = !spcReady;
    note.textContent = problem
      ? `Secure Payment Confirmation is not available in this browser (${problem}).`
      : 'Secure Payment Confirmation shows the payee and amount in a dialog of the browser.';
  });
  return {
    show: (passkey) => {
      send.hidden = passkey;
      actions.hidden = !passkey;
    },
    approve: (submitter, factorId, stateToken) =>
      spcReady && submitter === spcButton
        ? approveWithSpc(mfa, factorId, stateToken)
        : approveWithPasskey(mfa, factorId, stateToken),
  };
};
