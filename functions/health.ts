import { apiHandler } from '../shared/http/api-handler.js';

/** `GET /health`: liveness, no auth. */
export const handler = apiHandler({ auth: 'none' }, async () => ({
  status: 200,
  body: { status: 'ok' },
}));
