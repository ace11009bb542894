/**
 * The `servers` of the OpenAPI document, apart from its generator: the document is built at
 * synth and shipped beside the `openapi` function's bundle (`OPENAPI_FILE`), which then only
 * names the server it answers on.
 */

/** The document's file beside the `openapi` function's bundle. */
export const OPENAPI_FILE = 'openapi.json';

/** Where a stack without a custom domain serves the API (its issuer, `MfaService.issuer`). */
const STAGE_SERVER = {
  url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
  description: 'The API Gateway stage (`npm start`: http://localhost:3000)',
  variables: {
    restApiId: { default: 'abc123', description: 'The REST API id' },
    region: { default: 'eu-west-2' },
    stage: { default: 'live' },
  },
};

/** The document's `servers`: the issuer (the API's base URL) when known, else the stage's form. */
export const serversFor = (serverUrl?: string) => [
  serverUrl ? { url: serverUrl.replace(/\/$/, '') } : STAGE_SERVER,
];
