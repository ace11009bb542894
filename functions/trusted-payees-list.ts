import { clientStore, userStore } from '../shared/compose/dynamo.js';
import { apiHandler, useCaseDeps } from '../shared/http/api-handler.js';
import { userPath } from '../shared/http/path-params.js';
import { listTrustedPayees } from '../shared/use-cases/trusted-payees.js';

/** `GET /v1/users/{userId}/trusted-payees`: the user's trusted beneficiaries (RTS Art. 13). */
export const handler = apiHandler(
  { auth: 'client', uses: [clientStore, userStore] },
  async (request) => ({
    status: 200,
    body: await listTrustedPayees(useCaseDeps(request), userPath(request)),
  }),
);
