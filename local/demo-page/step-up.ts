import type { Factor, MfaClient, MfaRequired, VerifyResult } from '../../client/index.js';
import { byId, checkedValue, fieldValue, onSubmit, reporter, timeOf } from './dom.js';
import { setupPasskeyActions } from './passkey-approve.js';

export interface StepUpDeps {
  readonly mfa: MfaClient;
  readonly userId: () => string;
  /** A factor's code is on its way (or due from the app): show where it goes. */
  readonly onChallenge: (factorId: string) => void;
  /** The MFA token of a finished transaction. */
  readonly onToken: (token: string) => void;
}

export interface StepUp {
  /** Starts the same payment again (after a route asked for a fresher MFA). */
  restart(): void;
}

const labelOf = (factor: Factor): string => {
  const profile = factor.profile.phoneNumber ?? factor.profile.email ?? factor.profile.displayName;
  const kind = { sms: 'SMS', email: 'Email', totp: 'Authenticator app', webauthn: 'Passkey' }[
    factor.type as string
  ];
  return `${kind ?? factor.type}${typeof profile === 'string' ? ` ${profile}` : ''} (${factor.id})`;
};

/**
 * Step 3: start a payment step-up, pick a factor, challenge it, verify its code; or, for a
 * passkey, approve with it in the browser (passkey-approve.ts).
 */
export const setupStepUp = ({ mfa, userId, onChallenge, onToken }: StepUpDeps): StepUp => {
  const report = reporter('pay');
  const startForm = byId<HTMLFormElement>('start-form');
  const challengeForm = byId<HTMLFormElement>('challenge-form');
  const verifyForm = byId<HTMLFormElement>('verify-form');
  const options = byId('factor-options');
  const passcode = byId<HTMLInputElement>('passcode');
  let stateToken = '';
  let factorTypes = new Map<string, string>();
  let challenged = '';
  const passkey = setupPasskeyActions(mfa);
  const showActions = () =>
    passkey.show(factorTypes.get(checkedValue('factor') ?? '') === 'webauthn');
  options.addEventListener('change', showActions);

  /** Lists the factors that can help as radio buttons, the first checked and focused. */
  const offer = (required: MfaRequired) => {
    stateToken = required.stateToken;
    factorTypes = new Map(required.factors.map((factor) => [factor.id, factor.type]));
    options.replaceChildren(
      ...required.factors.map((factor, index) => {
        const label = document.createElement('label');
        const radio = document.createElement('input');
        Object.assign(radio, { type: 'radio', name: 'factor', value: factor.id });
        radio.checked = index === 0;
        label.append(radio, ` ${labelOf(factor)}`);
        return label;
      }),
    );
    showActions();
    challengeForm.hidden = false;
    verifyForm.hidden = true;
    options.querySelector('input')?.focus();
  };

  /** The answer of a verify: the token, or the next factor to pick. */
  const finish = (verified: VerifyResult) => {
    if (verified.status === 'MFA_REQUIRED') {
      report.ok('Proven; this payment needs another kind of factor too (SCA): pick one.');
      offer(verified);
      return;
    }
    challengeForm.hidden = true;
    verifyForm.hidden = true;
    report.ok(
      `Verified: transaction ${verified.transactionId} approved, MFA token issued (valid ${verified.expiresIn} s). Call your API (step 4).`,
    );
    onToken(verified.token);
  };

  onSubmit(startForm, report, async () => {
    challengeForm.hidden = true;
    verifyForm.hidden = true;
    const started = await mfa.startAuthn({
      userId: userId(),
      transaction: {
        amount: fieldValue('amount'),
        currency: fieldValue('currency').toUpperCase(),
        payee: fieldValue('payee'),
      },
    });
    if (started.status === 'MFA_ENROLL') {
      report.ok('This user has no active factor yet: enroll and activate one first (step 2).');
      return;
    }
    if (started.status === 'SUCCESS') {
      report.ok(`The policy exempts this payment (${started.exemption}): no MFA needed.`);
      onToken(started.token);
      return;
    }
    report.ok(
      `Transaction ${started.transactionId}: ${started.requirement.level} required (until ${timeOf(started.expiresAt)}). Pick a factor and send the challenge.`,
    );
    offer(started);
  });

  onSubmit(challengeForm, report, async (submitter) => {
    const factorId = checkedValue('factor');
    if (!factorId) throw new Error('Pick a factor first.');
    if (factorTypes.get(factorId) === 'webauthn') {
      verifyForm.hidden = true;
      report.ok('Confirm in the browser: it asks the passkey to sign this payment.');
      finish(await passkey.approve(submitter, factorId, stateToken));
      return;
    }
    onChallenge(factorId);
    const sent = await mfa.challenge(factorId, { stateToken });
    challenged = factorId;
    verifyForm.hidden = false;
    passcode.value = '';
    report.ok(
      factorTypes.get(factorId) === 'totp'
        ? 'Enter the code the authenticator app shows now.'
        : `Code sent, valid until ${timeOf(sent.expiresAt)}: see the outbox.`,
    );
    passcode.focus();
  });

  onSubmit(verifyForm, report, async () => {
    finish(await mfa.verify(challenged, { stateToken, passCode: passcode.value.trim() }));
  });

  return { restart: () => startForm.requestSubmit() };
};
