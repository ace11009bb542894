import { apiHandler, mfaTokenOf, useCaseDeps, userPath } from '../shared/http/api-handler.js';
import { enrollBody } from '../shared/http/schemas.js';
import { enrollFactor } from '../shared/use-cases/factor-enroll.js';

/** `POST /v1/users/{userId}/factors` (with `X-MFA-Token` when factor changes are stepped up). */
export const handler = apiHandler({ auth: 'client', body: enrollBody }, async (request) =>
  enrollFactor(useCaseDeps(request), {
    ...userPath(request),
    body: request.body,
    mfaToken: mfaTokenOf(request),
  }),
);
