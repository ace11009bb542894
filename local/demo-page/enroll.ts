import type { EnrollFactorRequest, MfaClient } from '../../client/index.js';
import { byId, checkedValue, fieldValue, onSubmit, reporter, timeOf } from './dom.js';

export interface EnrollDeps {
  readonly mfa: MfaClient;
  readonly userId: () => string;
  /** An SMS or email factor was enrolled: its destination, where its codes will go. */
  readonly onDestination: (factorId: string, to: string) => void;
}

const requestFor = (type: string): EnrollFactorRequest => {
  if (type === 'sms') return { type: 'sms', phoneNumber: fieldValue('phone') };
  if (type === 'email') return { type: 'email', email: fieldValue('email') };
  return { type: 'totp' };
};

/** Step 2: enroll an SMS, email or TOTP factor, then activate it with its first code. */
export const setupEnroll = ({ mfa, userId, onDestination }: EnrollDeps): void => {
  const report = reporter('enroll');
  const activation = byId('activation');
  const totpSetup = byId('totp-setup');
  const qr = byId<HTMLImageElement>('totp-qr');
  const code = byId<HTMLInputElement>('activation-code');
  let pending: { userId: string; factorId: string } | undefined;

  const showFieldsOf = (type: string | undefined) => {
    byId('email-field').hidden = type !== 'email';
    byId('phone-field').hidden = type !== 'sms';
  };
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="factor-type"]')) {
    radio.addEventListener('change', () => showFieldsOf(checkedValue('factor-type')));
  }
  showFieldsOf(checkedValue('factor-type'));

  onSubmit(byId<HTMLFormElement>('enroll-form'), report, async () => {
    const request = requestFor(checkedValue('factor-type') ?? 'email');
    const user = userId();
    activation.hidden = true;
    const { factor, activation: next } = await mfa.enrollFactor(user, request);
    pending = { userId: user, factorId: factor.id };
    const qrCode = next?.qrCode;
    // Only a PNG data URL is shown: the page never loads an image from elsewhere.
    qr.src = qrCode?.startsWith('data:image/png;base64,') ? qrCode : '';
    byId('totp-secret').textContent = next?.secret ?? '';
    totpSetup.hidden = request.type !== 'totp';
    if (request.type === 'sms') onDestination(factor.id, request.phoneNumber);
    if (request.type === 'email') onDestination(factor.id, request.email);
    activation.hidden = factor.status === 'ACTIVE';
    code.value = '';
    const until = next?.expiresAt ? ` before ${timeOf(next.expiresAt)}` : '';
    report.ok(
      request.type === 'totp'
        ? `Enrolled ${factor.id}. Enter the code the authenticator app shows${until}.`
        : `Enrolled ${factor.id}: a code went to ${String(factor.profile.phoneNumber ?? factor.profile.email ?? 'it')} (see the outbox). Enter it${until}.`,
    );
    if (!activation.hidden) code.focus();
  });

  onSubmit(byId<HTMLFormElement>('activate-form'), report, async () => {
    if (!pending) throw new Error('Enroll a factor first.');
    const { factor } = await mfa.activateFactor(pending.userId, pending.factorId, {
      passCode: code.value.trim(),
    });
    pending = undefined;
    activation.hidden = true;
    report.ok(`Factor ${factor.id} (${factor.type}) is ${factor.status}: approve a payment next.`);
    byId('amount').focus();
  });
};
