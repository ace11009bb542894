import { isMfaApiError } from '../../client/index.js';

/** The element with this id; the page is static, so a missing one is a bug in the page. */
export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`demo page: no #${id}`);
  return element as T;
};

/** The value of the checked radio button of a group, if any. */
export const checkedValue = (name: string): string | undefined =>
  document.querySelector<HTMLInputElement>(`input[type="radio"][name="${name}"]:checked`)?.value;

/** `18:20:01`: the local time of an epoch second or an RFC 3339 string. */
export const timeOf = (at: number | string): string =>
  new Date(typeof at === 'number' ? at * 1000 : at).toLocaleTimeString('en-GB');

const SEEDED_APP_HINT =
  ' The page signs in as the seeded app demo / demo-secret: start npm start without MFA_LOCAL_CLIENT_ID and MFA_LOCAL_CLIENT_SECRET.';

/**
 * What went wrong, for a person: the problem's `detail` (the service's words, never a
 * secret), its `code` and status, and what to do for the errors a demo user can fix.
 */
export const errorText = (error: unknown): string => {
  if (!isMfaApiError(error)) return error instanceof Error ? error.message : String(error);
  const where = error.status > 0 ? `${error.code}, HTTP ${error.status}` : error.code;
  let text = `${error.detail} (${where})`;
  if (error.attemptsRemaining !== undefined) text += ` ${error.attemptsRemaining} attempts left.`;
  if (error.retryAfter !== undefined) text += ` Try again in ${error.retryAfter} s.`;
  if (error.code === 'invalid_client') text += SEEDED_APP_HINT;
  return text;
};

/** A section's two live regions: results (`role="status"`) and errors (`role="alert"`). */
export interface Reporter {
  ok(text: string): void;
  fail(error: unknown): void;
}

export const reporter = (prefix: string): Reporter => {
  const status = byId(`${prefix}-status`);
  const alert = byId(`${prefix}-error`);
  return {
    ok: (text) => {
      alert.textContent = '';
      status.textContent = text;
    },
    fail: (error) => {
      status.textContent = '';
      alert.textContent = `Error: ${errorText(error)}`;
    },
  };
};

/**
 * Runs `action` when the form is submitted (a click or Enter), with its buttons disabled
 * meanwhile so a double submit cannot send a code twice; a failure is reported, never thrown.
 * The action gets the button that submitted the form (null for Enter without a default one).
 */
export const onSubmit = (
  form: HTMLFormElement,
  report: Reporter,
  action: (submitter: HTMLElement | null) => Promise<void>,
): void => {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    if (buttons.some((button) => button.disabled)) return;
    for (const button of buttons) button.disabled = true;
    action(event.submitter)
      .catch((error: unknown) => report.fail(error))
      .finally(() => {
        for (const button of buttons) button.disabled = false;
      });
  });
};

/** The trimmed value of an input. */
export const fieldValue = (id: string): string => byId<HTMLInputElement>(id).value.trim();
