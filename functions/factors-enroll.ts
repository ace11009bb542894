import { apiHandler, useCaseDeps, userPath } from '../shared/http/api-handler.js';
import { enrollBody } from '../shared/http/schemas.js';
import { enrollFactor } from '../shared/use-cases/factor-enroll.js';

/** `POST /v1/users/{userId}/factors`. */
export const handler = apiHandler({ auth: 'client', body: enrollBody }, async (request) =>
  enrollFactor(useCaseDeps(request), { ...userPath(request), body: request.body }),
);
