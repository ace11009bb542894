import { clientStore, rateLimiter, userStore } from '../shared/compose/dynamo.js';
import { messenger } from '../shared/compose/messenger.js';
import { otpKeys } from '../shared/compose/otp-key.js';
import { signer } from '../shared/compose/signer.js';
import { apiHandler, stepUpOf, useCaseDeps } from '../shared/http/api-handler.js';
import { factorPath } from '../shared/http/path-params.js';
import { emptyBody } from '../shared/http/schemas.js';
import { resendFactorCode } from '../shared/use-cases/factor-manage.js';

/** `POST /v1/users/{userId}/factors/{factorId}/resend`: a fresh activation code (sms/email). */
export const handler = apiHandler(
  {
    auth: 'client',
    body: emptyBody,
    uses: [clientStore, userStore, rateLimiter, otpKeys, signer, messenger],
  },
  async (request) => ({
    status: 200,
    body: await resendFactorCode(useCaseDeps(request), {
      ...factorPath(request),
      ...stepUpOf(request),
    }),
  }),
);
