import { clientStore, userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { signer } from '../shared/compose/signer.js';
import { apiHandler, stepUpOf, useCaseDeps } from '../shared/http/api-handler.js';
import { factorPath } from '../shared/http/path-params.js';
import { deleteFactor } from '../shared/use-cases/factor-manage.js';

/** `DELETE /v1/users/{userId}/factors/{factorId}`: 204; the factor's secret is gone for good. */
export const handler = apiHandler(
  { auth: 'client', uses: [clientStore, userStore, signer, events] },
  async (request) => {
    await deleteFactor(useCaseDeps(request), {
      ...factorPath(request),
      ...stepUpOf(request),
    });
    return { status: 204 };
  },
);
