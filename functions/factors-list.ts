import { clientStore, userStore } from '../shared/compose/dynamo.js';
import { apiHandler, useCaseDeps } from '../shared/http/api-handler.js';
import { userPath } from '../shared/http/path-params.js';
import { listFactors } from '../shared/use-cases/factor-manage.js';

/** `GET /v1/users/{userId}/factors`: masked profiles only. */
export const handler = apiHandler(
  { auth: 'client', uses: [clientStore, userStore] },
  async (request) => ({
    status: 200,
    body: await listFactors(useCaseDeps(request), userPath(request)),
  }),
);
