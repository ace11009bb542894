import { clientStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { otpKeys } from '../shared/compose/otp-key.js';
import { signer } from '../shared/compose/signer.js';
import { workflow } from '../shared/compose/workflow.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { factorStep, submittedProof } from '../shared/http/flow-request.js';
import { verifyBody } from '../shared/http/schemas.js';
import { signedSuccess } from '../shared/http/sign-token.js';

/**
 * `POST /v1/authn/factors/{factorId}/verify`. The pass code enters the workflow only as an
 * HMAC bound to this transaction and factor (a PIN: to the factor); a passkey's signed
 * response (`credential`) as it is. When the transaction needs
 * another factor (its level not met), the answer is `MFA_REQUIRED` with the same state token.
 * On success the workflow returns the claims and
 * this function signs them, and the SCA receipt beside them: neither passes through Step Functions, and a signing
 * failure is a 503, never an unsigned token.
 */
export const handler = apiHandler(
  { auth: 'client', body: verifyBody, uses: [clientStore, workflow, otpKeys, signer, events] },
  async (request) => {
    const step = factorStep(request);
    const result = await request.deps.workflow.run({
      operation: 'verify',
      ...step,
      ...(await submittedProof(request, step)),
    });
    // Factor sequencing: more is needed; the same state token goes on.
    const { body, claims } = result;
    if (!claims) return { status: 200, body: { ...body, stateToken: request.body.stateToken } };
    return { status: 200, body: { ...body, ...(await signedSuccess(request, result)) } };
  },
);
