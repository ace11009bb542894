import { clientStore, rateLimiter, userStore } from '../shared/compose/dynamo.js';
import { events } from '../shared/compose/events.js';
import { messenger } from '../shared/compose/messenger.js';
import { otpKeys } from '../shared/compose/otp-key.js';
import { secretBox } from '../shared/compose/secret-box.js';
import { signer } from '../shared/compose/signer.js';
import { apiHandler, stepUpOf, useCaseDeps } from '../shared/http/api-handler.js';
import { userPath } from '../shared/http/path-params.js';
import { enrollBody } from '../shared/http/schemas.js';
import { enrollFactor } from '../shared/use-cases/factor-enroll.js';

/** `POST /v1/users/{userId}/factors` (with `X-MFA-Token` when factor changes are stepped up). */
export const handler = apiHandler(
  {
    auth: 'client',
    body: enrollBody,
    uses: [clientStore, userStore, rateLimiter, otpKeys, secretBox, signer, messenger, events],
  },
  async (request) =>
    enrollFactor(useCaseDeps(request), {
      ...userPath(request),
      body: request.body,
      ...stepUpOf(request),
    }),
);
