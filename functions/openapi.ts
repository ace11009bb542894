import { apiHandler } from '../shared/http/api-handler.js';
import { openApiDocument } from '../shared/openapi/document.js';

let document: ReturnType<typeof openApiDocument> | undefined;

/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of every route, generated from the route
 * table and the zod schemas on the first request of a cold start and kept while warm (it
 * depends on nothing but the code and the issuer, the base URL of the API).
 */
export const handler = apiHandler({ auth: 'none' }, async (request) => {
  document ??= openApiDocument({ serverUrl: request.deps.config.MFA_ISSUER });
  return { status: 200, body: document, headers: { 'cache-control': 'public, max-age=300' } };
});
