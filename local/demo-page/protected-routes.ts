import { byId, errorText } from './dom.js';

export interface ProtectedRoutes {
  /** The MFA token the calls carry from now on (`Authorization: Bearer`). */
  use(token: string): void;
}

const ROUTES = [
  { path: '/demo/dogs', button: 'call-dogs', answer: 'dogs-answer' },
  { path: '/demo/cats', button: 'call-cats', answer: 'cats-answer' },
] as const;

const pretty = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};

const block = (tag: 'h3' | 'p' | 'pre', text: string): HTMLElement => {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
};

/**
 * Step 4: the app's own API behind the MFA authorizer. A plain `fetch` (these are the app's
 * routes, not the MFA service's): the answer's status, its `WWW-Authenticate` challenge when
 * there is one (RFC 9470 names `max_age` and `acr_values` in it) and its body.
 */
export const setupProtectedRoutes = (stepUpAgain: () => void): ProtectedRoutes => {
  let token = '';
  const again = byId<HTMLButtonElement>('step-up-again');
  const error = byId('routes-error');
  again.addEventListener('click', () => {
    again.hidden = true;
    stepUpAgain();
  });

  for (const route of ROUTES) {
    const button = byId<HTMLButtonElement>(route.button);
    const answer = byId(route.answer);
    button.addEventListener('click', async () => {
      error.textContent = '';
      try {
        const response = await fetch(route.path, {
          headers: { authorization: `Bearer ${token}` },
          cache: 'no-store',
        });
        const body = await response.text();
        const challenge = response.headers.get('www-authenticate');
        const parts = [block('h3', `GET ${route.path} → HTTP ${response.status}`)];
        if (challenge) {
          parts.push(block('p', 'The route asks for a step-up:'));
          parts.push(block('pre', `WWW-Authenticate: ${challenge}`));
        }
        parts.push(block('pre', pretty(body)));
        answer.replaceChildren(...parts);
        answer.hidden = false;
        if (challenge?.includes('insufficient_user_authentication')) again.hidden = false;
      } catch (failure) {
        error.textContent = `Error: GET ${route.path} got no answer (${errorText(failure)}).`;
      }
    });
  }

  return {
    use: (next) => {
      token = next;
      again.hidden = true;
      for (const route of ROUTES) {
        byId<HTMLButtonElement>(route.button).disabled = false;
        byId(route.answer).hidden = true;
      }
    },
  };
};
