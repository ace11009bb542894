import { clientStore, userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { otpKeys } from '../shared/compose/otp-key.js';
import { passkeyRegistrar } from '../shared/compose/passkeys.js';
import { secretBox } from '../shared/compose/secret-box.js';
import { signer } from '../shared/compose/signer.js';
import { apiHandler, stepUpOf, useCaseDeps } from '../shared/http/api-handler.js';
import { factorPath } from '../shared/http/path-params.js';
import { activateBody } from '../shared/http/schemas.js';
import { activateFactor } from '../shared/use-cases/factor-manage.js';

/** `POST /v1/users/{userId}/factors/{factorId}/activate`. */
export const handler = apiHandler(
  {
    auth: 'client',
    body: activateBody,
    uses: [clientStore, userStore, otpKeys, secretBox, signer, events, passkeyRegistrar],
  },
  async (request) => ({
    status: 200,
    body: await activateFactor(useCaseDeps(request), {
      ...factorPath(request),
      ...(request.body.passCode === undefined ? {} : { passCode: request.body.passCode }),
      ...(request.body.credential ? { credential: request.body.credential } : {}),
      ...stepUpOf(request),
    }),
  }),
);
