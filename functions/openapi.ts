import { readFileSync } from 'node:fs';
import { apiHandler } from '../shared/http/api-handler.js';
import { OPENAPI_FILE, serversFor } from '../shared/openapi/servers.js';

type Document = Readonly<Record<string, unknown>>;

/**
 * The document built at synth (`infra/mfa-service.ts`), beside this bundle on Lambda: read at
 * load, so a cold start builds no schema. Run from source (the local runtime), there is none.
 */
const readBuilt = (): Document | undefined => {
  try {
    return JSON.parse(readFileSync(new URL(`./${OPENAPI_FILE}`, import.meta.url), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};
const built = readBuilt();
let document: Document | undefined;

/**
 * The generator, for a run from source. Bundles are built with `MFA_BUNDLE` defined
 * (`infra/mfa-function.ts`), so esbuild drops this import and the schemas it builds: the
 * bundle serves the built document.
 */
const generate = async (serverUrl?: string): Promise<Document> => {
  if (process.env.MFA_BUNDLE === 'true') {
    throw new Error(`${OPENAPI_FILE} is missing beside the bundle`);
  } else {
    const { openApiDocument } = await import('../shared/openapi/document.js');
    return openApiDocument({ serverUrl });
  }
};

/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of every route, generated from the route
 * table and the zod schemas (at synth on AWS, else on the first request of a cold start), its
 * server the issuer (the base URL of the API), kept while warm.
 */
export const handler = apiHandler({ auth: 'none' }, async (request) => {
  const serverUrl = request.deps.config.MFA_ISSUER;
  document ??= built ? { ...built, servers: serversFor(serverUrl) } : await generate(serverUrl);
  return { status: 200, body: document, headers: { 'cache-control': 'public, max-age=300' } };
});
