import type * as z from 'zod/mini';
import type { ErrorCode } from '../errors.js';
import { problemResponse } from '../http/responses.js';
import { factorIdSchema, payeeAccountSchema, userIdSchema } from '../http/schemas.js';
import { type Route, routes as routeTable } from '../routes.js';
import {
  answerHeaders,
  headers,
  type JsonObject,
  problemAnswers,
  problemExamples,
  schemaComponents,
} from './components.js';
import { type OperationDoc, operations, type RouteKey, type Tag } from './operations.js';
import { serversFor } from './servers.js';

/** The version of the HTTP contract (API.md v1 and its v1.1 additions), not of the package. */
export const API_VERSION = '1.1.0';

/** The schema each path parameter is checked with (api-handler.ts `userPath`, `factorPath`, ...). */
const PATH_PARAMETERS: Readonly<Record<string, { schema: z.ZodMiniType; description: string }>> = {
  userId: { schema: userIdSchema, description: "The app's id of the user; malformed: 400." },
  factorId: { schema: factorIdSchema, description: 'The factor; malformed or unknown: 404.' },
  payeeAccount: {
    schema: payeeAccountSchema,
    description: "The payee's account id (e.g. an IBAN); not trusted by the user: 404.",
  },
};

const TAGS: Readonly<Record<Tag, string>> = {
  Authentication: 'Step-up transactions: start, challenge, verify, cancel, status.',
  Factors: "A user's factors: enroll, activate, list, delete.",
  'Trusted payees': 'Trusted beneficiaries (PSD2 RTS Art. 13), changed only with SCA.',
  Keys: 'What verifies MFA tokens.',
  Demo: 'Routes behind the MFA authorizer (the cats-and-dogs demo).',
  Operational: 'Health and this description.',
};

const DESCRIPTION = `Step-up MFA: an app starts an authentication transaction, the user proves factors, the app gets a short-lived ES256 MFA token. The contract: API.md (v1 and its v1.1 additions).

- JSON in and out. A body must be \`application/json\` (else 415 \`unsupported_media_type\`), at most 16 KiB (else 413 \`payload_too_large\`), valid for its schema (else 400 \`invalid_request\`). Unknown fields are ignored; answers may gain fields.
- Errors are RFC 9457 problem documents (\`application/problem+json\`) with a stable \`code\`; 5xx bodies are generic.
- An unknown path is 404 \`not_found\`; a known path with another method is 405 \`method_not_allowed\` with \`Allow\` (the local runtime; API Gateway answers 404 \`not_found\`). API Gateway's own refusals are problem documents too: throttling 429 \`rate_limited\`, a WAF block 403 \`access_denied\`.
- Times are RFC 3339 UTC strings.`;

/** The codes a route answers because of what it is: its auth, its body, its path, the gateway. */
export const commonErrors = (route: Route, doc: OperationDoc): ErrorCode[] => [
  ...(route.auth === 'client' ? (['invalid_client', 'service_unavailable'] as const) : []),
  ...(route.auth === 'mfa' ? (['invalid_token', 'insufficient_user_authentication'] as const) : []),
  ...(doc.body
    ? (['invalid_request', 'payload_too_large', 'unsupported_media_type'] as const)
    : []),
  ...(route.path.includes('{userId}') ? (['invalid_request'] as const) : []),
  ...(/\{(factorId|payeeAccount)\}/.test(route.path) ? (['not_found'] as const) : []),
  // API Gateway's stage throttling and any unexpected failure, on every route.
  'rate_limited',
  'internal_error',
];

/** Every code `route` can answer: its own and its kind's. */
export const errorCodesOf = (route: Route, doc: OperationDoc): ErrorCode[] => [
  ...new Set([...commonErrors(route, doc), ...doc.errors]),
];

export const routeKey = (route: Pick<Route, 'method' | 'path'>): RouteKey =>
  `${route.method} ${route.path}`;

const docOf = (route: Route): OperationDoc => {
  const doc = operations[routeKey(route)];
  if (!doc) throw new Error(`openapi: no description of ${routeKey(route)} in operations.ts`);
  return doc;
};

const security = (route: Route) =>
  route.auth === 'client' ? [{ appClient: [] }] : route.auth === 'mfa' ? [{ mfaToken: [] }] : [];

const authText = (route: Route) => {
  if (route.auth !== 'mfa') return '';
  const recency =
    route.maxAge === undefined ? '' : `, authenticated within the last ${route.maxAge} s`;
  const level = route.acr ? `, \`acr\` ${route.acr}` : '';
  return `Needs an MFA token (\`Authorization: Bearer\`)${recency}${level}; else 401 with an RFC 6750 / RFC 9470 challenge.`;
};

const operation = (route: Route, components: ReturnType<typeof schemaComponents>): JsonObject => {
  const doc = docOf(route);
  const { ref } = components;
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
      if (!name || !PATH_PARAMETERS[name]) throw new Error(`openapi: path parameter ${name}?`);
      return { $ref: `#/components/parameters/${name}` };
    }),
    ...(doc.mfaTokenHeader
      ? [
          {
            $ref: `#/components/parameters/${doc.mfaTokenHeader === 'required' ? 'mfaTokenRequired' : 'mfaTokenOptional'}`,
          },
        ]
      : []),
  ];
  const description = [doc.description, authText(route)].filter(Boolean).join('\n\n');
  const success = Object.entries(doc.answers).map(([status, answer]) => [
    status,
    {
      description: answer.description,
      headers: answerHeaders(Number(status), answer.cacheControl !== undefined),
      ...(answer.schema
        ? {
            content: {
              'application/json': { schema: ref(answer.schema), examples: answer.examples },
            },
          }
        : {}),
    },
  ]);
  return {
    operationId: doc.operationId,
    tags: [doc.tag],
    summary: doc.summary,
    ...(description ? { description } : {}),
    security: security(route),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            // A POST without a body reads as `{}`: needed unless `{}` is valid.
            required: !doc.body.safeParse({}).success,
            content: { 'application/json': { schema: ref(doc.body), examples: doc.bodyExamples } },
          },
        }
      : {}),
    responses: {
      ...Object.fromEntries(success),
      ...problemAnswers(errorCodesOf(route, doc), ref(problemResponse)),
    },
    ...(route.maxAge === undefined ? {} : { 'x-mfa-max-age': route.maxAge }),
    ...(route.acr === undefined ? {} : { 'x-mfa-acr': route.acr }),
  };
};

const mfaTokenHeader = (required: boolean) => ({
  name: 'X-MFA-Token',
  in: 'header',
  required,
  description: required
    ? "The user's MFA token: `acr` `sca`, at most 300 s old, approving no payment or consent (else 401 `insufficient_user_authentication`)."
    : "The user's MFA token, needed when factor changes are stepped up (`FACTOR_CHANGE_MAX_AGE_SECONDS`) and the user has an active factor (else 401 `insufficient_user_authentication`).",
  schema: { type: 'string' },
});

/**
 * The OpenAPI 3.1 document of every route in the table, built from the table, the request
 * schemas (schemas.ts) and the answer schemas (responses.ts). Pure and deterministic: the same
 * code and `serverUrl` (the issuer: the API's base URL) give the same document, key for key.
 *
 * @example
 * const document = openApiDocument({ serverUrl: 'http://localhost:3000' });
 */
export const openApiDocument = (
  options: { serverUrl?: string; routes?: readonly Route[] } = {},
): JsonObject => {
  const components = schemaComponents();
  const paths: Record<string, Record<string, JsonObject>> = {};
  const codes = new Set<ErrorCode>();
  for (const route of options.routes ?? routeTable) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, JsonObject>)[route.method.toLowerCase()] = operation(
      route,
      components,
    );
    for (const code of errorCodesOf(route, docOf(route))) codes.add(code);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Step-up MFA service',
      version: API_VERSION,
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: serversFor(options.serverUrl),
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: components.schemas,
      parameters: {
        ...Object.fromEntries(
          Object.entries(PATH_PARAMETERS).map(([name, { schema, description }]) => [
            name,
            { name, in: 'path', required: true, description, schema: components.ref(schema) },
          ]),
        ),
        mfaTokenRequired: mfaTokenHeader(true),
        mfaTokenOptional: mfaTokenHeader(false),
      },
      headers,
      examples: problemExamples(codes),
      securitySchemes: {
        appClient: {
          type: 'http',
          scheme: 'basic',
          description:
            'The registered app: `base64(clientId:clientSecret)`. Missing or wrong: 401 `invalid_client` with `WWW-Authenticate: Basic realm="mfa"`.',
        },
        mfaToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An MFA token of this service (ES256, `typ: mfa+jwt`), verified by the MFA authorizer against the JWKS.',
        },
      },
    },
  };
};
