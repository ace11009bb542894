import { clientStore, userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { signer } from '../shared/compose/signer.js';
import { apiHandler, mfaTokenOf, useCaseDeps } from '../shared/http/api-handler.js';
import { userPath } from '../shared/http/path-params.js';
import { trustedPayeeBody } from '../shared/http/schemas.js';
import { addTrustedPayee } from '../shared/use-cases/trusted-payees.js';

/**
 * `POST /v1/users/{userId}/trusted-payees`: 201 with the entry; needs the user's `sca` token
 * from the last 300 s in `X-MFA-Token` (else 401 `insufficient_user_authentication`).
 */
export const handler = apiHandler(
  { auth: 'client', body: trustedPayeeBody, uses: [clientStore, userStore, signer, events] },
  async (request) => ({
    status: 201,
    body: await addTrustedPayee(useCaseDeps(request), {
      ...userPath(request),
      ...request.body,
      mfaToken: mfaTokenOf(request),
    }),
  }),
);
