import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { router } from '../../shared/routes.js';
import { basicAuth } from './local.js';

// biome-ignore lint/suspicious/noExplicitAny: documents and bodies are read loosely, then validated
type Json = Record<string, any>;

// ajv-formats is CommonJS: its function is the default export's `default` under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** JSON Pointer segment (RFC 6901). */
const segment = (text: string) => text.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * A copy of the document whose object schemas refuse members they do not name
 * (`unevaluatedProperties: false`). The served document leaves answers open (the contract only
 * adds fields); the test is strict, so a field a handler answers but the document does not
 * describe fails it.
 */
const strict = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(strict);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Json = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strict(v)]));
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined) {
    copy.unevaluatedProperties = false;
  }
  return copy;
};

export interface Validated {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
}

/**
 * Calls the service and validates the answer against the OpenAPI document: the route's
 * operation must list the status, the content type and the schema must match (JSON Schema
 * 2020-12, formats checked), and its required headers must be there. Answers of no operation
 * (an unknown path, a wrong method) must be the problem documents the document's description
 * promises. Records which routes and statuses were validated.
 */
export const openApiClient = (base: string, document: Json) => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(strict(document) as Json, 'openapi');
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const validate = (pointer: string, body: unknown, what: string) => {
    let check = compiled.get(pointer);
    if (!check) {
      check = ajv.compile({ $ref: `openapi#${pointer}` });
      compiled.set(pointer, check);
    }
    const valid = check(body);
    expect(valid ? [] : check.errors, `${what}: ${JSON.stringify(body)}`).toEqual([]);
  };
  const covered = new Map<string, Set<number>>();

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; auth?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Validated> => {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth === undefined ? basicAuth() : options.auth;
    if (auth) headers.authorization = auth;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body:
        options.body === undefined
          ? undefined
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
    });
    const text = await response.text();
    const body = (text ? JSON.parse(text) : undefined) as Json;
    const type = response.headers.get('content-type') ?? '';
    const what = `${method} ${path} → ${response.status}`;
    expect(response.headers.get('x-request-id'), what).toBeTruthy();

    const found = router.match(method, new URL(path, base).pathname);
    if (!found.match) {
      // Described in info.description: 404 not_found, or 405 method_not_allowed with Allow.
      const code = found.pathKnown ? 'method_not_allowed' : 'not_found';
      expect({ status: response.status, type, code: body?.code }, what).toEqual({
        status: found.pathKnown ? 405 : 404,
        type: 'application/problem+json',
        code,
      });
      if (found.pathKnown) expect(response.headers.get('allow'), what).toBeTruthy();
      validate('/components/schemas/ProblemResponse', body, what);
      return { status: response.status, body, headers: response.headers };
    }
    const { route } = found.match;
    const key = `${route.method} ${route.path}`;
    const operationPointer = `/paths/${segment(route.path)}/${method.toLowerCase()}`;
    const answer = document.paths[route.path]?.[method.toLowerCase()]?.responses?.[
      String(response.status)
    ] as Json | undefined;
    expect(answer, `${what}: a status ${key} does not document`).toBeDefined();
    if (!answer?.content) {
      expect(text, `${what}: documented without a body`).toBe('');
    } else {
      expect(Object.keys(answer.content), what).toContain(type);
      const pointer = `${operationPointer}/responses/${response.status}/content/${segment(type)}/schema`;
      validate(pointer, body, what);
    }
    for (const [name, header] of Object.entries((answer?.headers ?? {}) as Json)) {
      const resolved = header.$ref ? document.components.headers[name] : header;
      if (resolved.required) expect(response.headers.get(name), `${what}: ${name}`).toBeTruthy();
    }
    covered.set(key, (covered.get(key) ?? new Set()).add(response.status));
    return { status: response.status, body, headers: response.headers };
  };
  return { call, covered };
};
