import type { ApiRequest } from './api-handler.js';
import { factorIdSchema, pathParam, payeeAccountSchema, userIdSchema } from './schemas.js';

// Apart from api-handler.ts: the request schemas are built only in functions that read them.

/** The `userId` and (when the route has one) `factorId` path parameters, validated. */
export const userPath = (request: ApiRequest<unknown>) => ({
  clientId: request.clientId,
  userId: pathParam(request.pathParameters, 'userId', userIdSchema, 'invalid_request'),
});
export const factorPath = (request: ApiRequest<unknown>) => ({
  ...userPath(request),
  factorId: pathParam(request.pathParameters, 'factorId', factorIdSchema, 'not_found'),
});
/** The `userId` and `payeeAccount` path parameters (an account that cannot exist: 404). */
export const payeePath = (request: ApiRequest<unknown>) => ({
  ...userPath(request),
  payeeAccount: pathParam(request.pathParameters, 'payeeAccount', payeeAccountSchema, 'not_found'),
});
