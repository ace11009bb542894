import { clientStore } from '../shared/compose/dynamo.js';
import { workflow } from '../shared/compose/workflow.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { transactionStep } from '../shared/http/flow-request.js';
import { stateTokenBody } from '../shared/http/schemas.js';

/** `POST /v1/authn/cancel`. */
export const handler = apiHandler(
  { auth: 'client', body: stateTokenBody, uses: [clientStore, workflow] },
  async (request) => {
    const { body } = await request.deps.workflow.run({
      operation: 'cancel',
      ...transactionStep(request),
    });
    return { status: 200, body };
  },
);
