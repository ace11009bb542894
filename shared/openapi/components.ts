import * as z from 'zod/mini';
import { type ErrorCode, errorTable } from '../errors.js';
import * as responses from '../http/responses.js';
import * as requests from '../http/schemas.js';
import { problemExtrasExample } from './examples.js';

export type JsonObject = Record<string, unknown>;

const isSchema = (value: unknown): value is z.ZodMiniType =>
  typeof value === 'object' && value !== null && '_zod' in value;

/** `startBody` → `StartBody`, `userIdSchema` → `UserId`: the export's name is the component's. */
const componentName = (exportName: string) =>
  `${exportName.charAt(0).toUpperCase()}${exportName.slice(1)}`.replace(/Schema$/, '');

/**
 * Every schema `schemas.ts` (requests, path parameters) and `responses.ts` export, as
 * `#/components/schemas/<Name>`: converted by zod's own `toJSONSchema` (JSON Schema 2020-12,
 * the dialect of OpenAPI 3.1), one schema referring to another by `$ref`. `io: 'input'`
 * describes what is sent; objects stay open (no `additionalProperties: false`), as the
 * contract only ever adds fields.
 */
export const schemaComponents = () => {
  const registry = z.registry<{ id: string }>();
  const exported = { ...requests, ...responses } as Record<string, unknown>;
  for (const [name, value] of Object.entries(exported)) {
    if (isSchema(value)) registry.add(value, { id: componentName(name) });
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonObject> };
  if ('__shared' in schemas) throw new Error('openapi: a schema needs shared $defs');
  // Components need neither: the document's dialect is 2020-12, and they are named by key.
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  /** The `$ref` of a schema that is a component; throws for any other. */
  const ref = (schema: z.ZodMiniType): JsonObject => {
    const id = registry.get(schema)?.id;
    if (!id) throw new Error('openapi: the schema is not exported by schemas.ts or responses.ts');
    return { $ref: `#/components/schemas/${id}` };
  };
  return { schemas, ref };
};

export const headers = {
  'X-Request-Id': {
    description: 'Every response carries one (the API Gateway request id on AWS).',
    required: true,
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: 'Answers that may be cached say how long; all others are `no-store`.',
    schema: { type: 'string' },
  },
  'WWW-Authenticate': {
    description:
      '`invalid_client`: `Basic realm="mfa"`. `invalid_token`: `Bearer error="invalid_token"`. A stale MFA: `Bearer error="insufficient_user_authentication", max_age=…` (RFC 9470), `acr_values="sca"` when SCA is needed.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again, when the service knows.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
} as const;

const headerRef = (name: keyof typeof headers) => ({ $ref: `#/components/headers/${name}` });

/** The headers of an answer with `status` (`Cache-Control` only where it is not `no-store`). */
export const answerHeaders = (status: number, cached = false): JsonObject => ({
  'X-Request-Id': headerRef('X-Request-Id'),
  ...(cached ? { 'Cache-Control': headerRef('Cache-Control') } : {}),
  ...(status === 401 ? { 'WWW-Authenticate': headerRef('WWW-Authenticate') } : {}),
  ...(status === 429 || status === 503 ? { 'Retry-After': headerRef('Retry-After') } : {}),
});

/** A problem document as the service writes it for `code`. */
export const problemExample = (code: ErrorCode) => {
  const { title, status } = errorTable[code];
  return {
    type: 'about:blank',
    title,
    status,
    code,
    detail: title,
    requestId: 'c0a8e1f2-6d1b-4a57-9b61-0f5d7f3b2e11',
    ...(status < 500 ? problemExtrasExample[code] : {}),
  };
};

/** `#/components/examples`: a problem document of each code in `codes`. */
export const problemExamples = (codes: ReadonlySet<ErrorCode>): Record<string, JsonObject> =>
  Object.fromEntries(
    (Object.keys(errorTable) as ErrorCode[])
      .filter((code) => codes.has(code))
      .map((code) => [code, { summary: errorTable[code].title, value: problemExample(code) }]),
  );

/**
 * The problem+json answers of a route, one per status, each naming the `code`s the route can
 * answer with that status (in errorTable's order) and an example of each (`problemExamples`).
 */
export const problemAnswers = (
  codes: readonly ErrorCode[],
  problemRef: JsonObject,
): Record<string, JsonObject> => {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of Object.keys(errorTable) as ErrorCode[]) {
    if (!codes.includes(code)) continue;
    const { status } = errorTable[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const answers: Record<string, JsonObject> = {};
  for (const [status, inStatus] of [...byStatus].sort(([a], [b]) => a - b)) {
    answers[String(status)] = {
      description: inStatus.map((code) => `\`${code}\``).join(', '),
      headers: answerHeaders(status),
      content: {
        'application/problem+json': {
          schema: { allOf: [problemRef, { properties: { code: { enum: inStatus } } }] },
          examples: Object.fromEntries(
            inStatus.map((code) => [code, { $ref: `#/components/examples/${code}` }]),
          ),
        },
      },
    };
  }
  return answers;
};
