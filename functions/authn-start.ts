import { clientStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { signer } from '../shared/compose/signer.js';
import { workflow } from '../shared/compose/workflow.js';
import { hashStateToken, newStateToken } from '../shared/domain/state-token.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { startBody } from '../shared/http/schemas.js';
import { signedSuccess } from '../shared/http/sign-token.js';

/**
 * `POST /v1/authn`: starts an authentication transaction through `MfaFlow`, under the app's
 * policy (its own, else `DEFAULT_POLICY`): deny → 403 `access_denied`; an exemption → 200
 * `SUCCESS` with an `acr: "exempt"` token signed here; else the factors to prove. The state
 * token is made here and only its hash enters the workflow; the raw token goes back to the
 * app only when the user has a factor to prove.
 */
export const handler = apiHandler(
  { auth: 'client', body: startBody, uses: [clientStore, workflow, signer, events] },
  async (request) => {
    const { body, clientId, clientPolicy, requestId, deps } = request;
    const stateToken = newStateToken(deps.random, body.userId);
    const run = await deps.workflow.run({
      operation: 'start',
      requestId,
      clientId,
      stateTokenHash: hashStateToken(stateToken),
      ...body,
      // Read with the app's client record (cached): no extra request.
      ...(clientPolicy ? { policy: clientPolicy } : {}),
    });
    const { body: result, claims } = run;
    if (claims) return { status: 200, body: { ...result, ...(await signedSuccess(request, run)) } };
    return {
      status: 200,
      body: result.status === 'MFA_REQUIRED' ? { ...result, stateToken } : result,
    };
  },
);
