import { apiHandler } from '../shared/http/api-handler.js';
import { transactionStep } from '../shared/http/flow-request.js';
import { stateTokenBody } from '../shared/http/schemas.js';

/** `POST /v1/authn/status`. */
export const handler = apiHandler({ auth: 'client', body: stateTokenBody }, async (request) => {
  const { body } = await request.deps.workflow.run({
    operation: 'status',
    ...transactionStep(request),
  });
  return { status: 200, body };
});
