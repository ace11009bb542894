import { clientStore, userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { signer } from '../shared/compose/signer.js';
import { apiHandler, mfaTokenOf, useCaseDeps } from '../shared/http/api-handler.js';
import { payeePath } from '../shared/http/path-params.js';
import { removeTrustedPayee } from '../shared/use-cases/trusted-payees.js';

/** `DELETE /v1/users/{userId}/trusted-payees/{payeeAccount}`: 204; needs the user's recent `sca`. */
export const handler = apiHandler(
  { auth: 'client', uses: [clientStore, userStore, signer, events] },
  async (request) => {
    await removeTrustedPayee(useCaseDeps(request), {
      ...payeePath(request),
      mfaToken: mfaTokenOf(request),
    });
    return { status: 204 };
  },
);
