/**
 * The local runtime's demo page (served at `/` by `npm start` only): a payment step-up
 * through the typed client, as the seeded local app. Bundled by esbuild with the client.
 */
import { MfaClient } from '../../client/index.js';
import { byId } from './dom.js';
import { setupEnroll } from './enroll.js';
import { startOutbox } from './outbox.js';
import { setupAddPasskey } from './passkeys.js';
import { setupProtectedRoutes } from './protected-routes.js';
import { setupStepUp } from './step-up.js';
import { showToken } from './token-view.js';

// The seeded local app (`MFA_LOCAL_CLIENT_ID` / `_SECRET` defaults): a well-known secret of a
// service bound to this machine. A real app keeps its secret on its server, never in a page.
const mfa = new MfaClient({
  baseUrl: window.location.origin,
  clientId: 'demo',
  clientSecret: 'demo-secret',
});

const catsMaxAge = Number.parseInt(document.body.dataset.catsMaxAge ?? '', 10);
const catsMaxAgeSeconds = Number.isInteger(catsMaxAge) ? catsMaxAge : undefined;
if (catsMaxAgeSeconds !== undefined) byId('cats-max-age').textContent = String(catsMaxAge);

const userField = byId<HTMLInputElement>('user-id');
userField.value = `user-${Math.floor(1000 + Math.random() * 9000)}`;
const emailField = byId<HTMLInputElement>('email');
emailField.value = `${userField.value}@example.com`;
userField.addEventListener('input', () => {
  emailField.value = `${userField.value.trim()}@example.com`;
});
const userId = () => userField.value.trim();

/** Where each factor enrolled on this page sends its codes, to follow in the outbox. */
const destinations = new Map<string, string>();
const outbox = startOutbox();

setupEnroll({
  mfa,
  userId,
  onDestination: (factorId, to) => {
    destinations.set(factorId, to);
    outbox.watch(to);
  },
});

setupAddPasskey({ mfa, userId });

const routes = setupProtectedRoutes(() => stepUp.restart());
const stepUp = setupStepUp({
  mfa,
  userId,
  onChallenge: (factorId) => {
    const to = destinations.get(factorId);
    if (to) outbox.watch(to);
  },
  onToken: (token) => {
    showToken(token, catsMaxAgeSeconds);
    routes.use(token);
    byId('call-dogs').focus();
  },
});
