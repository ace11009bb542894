import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { type ErrorCode, errorTable } from '../../shared/errors.js';
import { parseJsonBody } from '../../shared/http/json-body.js';
import { startBody } from '../../shared/http/schemas.js';
import { errorCodesOf, openApiDocument, routeKey } from '../../shared/openapi/document.js';
import { operations } from '../../shared/openapi/operations.js';
import { routes } from '../../shared/routes.js';

// biome-ignore lint/suspicious/noExplicitAny: the test reads the document loosely
type Json = Record<string, any>;

const SERVER = 'https://abc123.execute-api.eu-west-2.amazonaws.com/live';
const docOf = (route: (typeof routes)[number]) => operations[routeKey(route)];

describe('the OpenAPI description', () => {
  it('describes exactly the routes of the table, each once, under its path and method', () => {
    expect(Object.keys(operations).sort()).toEqual(routes.map(routeKey).sort());
    const document = openApiDocument({ serverUrl: SERVER }) as Json;
    const described = Object.entries(document.paths as Json).flatMap(([p, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${p}`),
    );
    expect(described.sort()).toEqual(routes.map(routeKey).sort());
    const ids = Object.values(operations).map((doc) => doc.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is deterministic: two builds give the same JSON, key for key', () => {
    const first = JSON.stringify(openApiDocument({ serverUrl: SERVER }));
    expect(JSON.stringify(openApiDocument({ serverUrl: SERVER }))).toBe(first);
    expect(JSON.parse(first)).toMatchObject({ openapi: '3.1.1', servers: [{ url: SERVER }] });
  });

  it.each(routes)(
    "$method $path: its body schema and auth are the handler's own",
    async (route) => {
      process.env.TABLE_NAME ??= 'unit-test-table';
      const file = path.resolve(import.meta.dirname, '../../functions', `${route.handler}.ts`);
      const { handler } = (await import(file)) as {
        handler: { auth: string; body?: z.ZodMiniType };
      };
      // The very object, not a copy: what the document says is what the handler parses.
      expect(docOf(route)?.body).toBe(handler.body);
      expect(handler.auth).toBe(route.auth === 'client' ? 'client' : 'none');
    },
  );

  it('lists app auth, body and path errors with the route kinds that have them', () => {
    const codes = (method: string, p: string) => {
      const route = routes.find((r) => r.method === method && r.path === p);
      if (!route) throw new Error(p);
      return errorCodesOf(route, docOf(route) as NonNullable<ReturnType<typeof docOf>>);
    };
    expect(codes('GET', '/health')).toEqual(['rate_limited', 'internal_error']);
    expect(codes('POST', '/v1/authn')).toEqual(
      expect.arrayContaining([
        'invalid_client',
        'invalid_request',
        'payload_too_large',
        'unsupported_media_type',
        'access_denied',
      ]),
    );
    expect(codes('GET', '/demo/cats')).toEqual(
      expect.arrayContaining(['invalid_token', 'insufficient_user_authentication']),
    );
    expect(codes('GET', '/v1/users/{userId}/factors')).not.toContain('not_found');
    expect(codes('DELETE', '/v1/users/{userId}/factors/{factorId}')).toContain('not_found');
  });

  it('answers every error code somewhere (405 is answered for a path, not an operation)', () => {
    const answered = new Set<ErrorCode>(
      routes.flatMap((route) =>
        errorCodesOf(route, docOf(route) as NonNullable<ReturnType<typeof docOf>>),
      ),
    );
    const unused = (Object.keys(errorTable) as ErrorCode[]).filter((code) => !answered.has(code));
    expect(unused).toEqual(['method_not_allowed']);
  });

  it('has request and answer examples that the schemas themselves accept', () => {
    for (const [key, doc] of Object.entries(operations)) {
      for (const [name, example] of Object.entries(doc.bodyExamples ?? {})) {
        const parsed = doc.body?.safeParse(example.value);
        expect(parsed?.success, `${key} request example ${name}`).toBe(true);
      }
      for (const [status, answer] of Object.entries(doc.answers)) {
        for (const [name, example] of Object.entries(answer.examples ?? {})) {
          const parsed = answer.schema?.safeParse(example.value);
          expect(parsed?.success, `${key} ${status} example ${name}`).toBe(true);
        }
      }
    }
  });

  it('secures app routes with HTTP Basic and MFA routes with a Bearer token', () => {
    const document = openApiDocument() as Json;
    expect(document.components.securitySchemes).toMatchObject({
      appClient: { type: 'http', scheme: 'basic' },
      mfaToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    for (const route of routes) {
      const operation = document.paths[route.path][route.method.toLowerCase()];
      const expected = { none: [], client: [{ appClient: [] }], mfa: [{ mfaToken: [] }] };
      expect(operation.security, routeKey(route)).toEqual(expected[route.auth]);
    }
    const cats = document.paths['/demo/cats'].get;
    expect(cats['x-mfa-max-age']).toBe(60);
    expect(document.paths['/demo/payments'].get['x-mfa-acr']).toBe('sca');
  });

  it('says display text may not be empty (minLength), as the server refuses it', () => {
    const text = JSON.stringify(openApiDocument());
    const payees = [...text.matchAll(/"payee":\{"type":"string","minLength":1,/g)];
    expect(payees.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/"payee":\{"type":"string","description"/);
    expect(() =>
      parseJsonBody(
        {
          body: '{"userId":"u","transaction":{"amount":"1.00","currency":"EUR","payee":""}}',
          headers: { 'content-type': 'application/json' },
        } as never,
        startBody,
      ),
    ).toThrow(/^Invalid body: transaction\.payee: must not be empty$/);
  });

  it('refuses to describe a route it has no description of', () => {
    expect(() =>
      openApiDocument({
        routes: [{ method: 'GET', path: '/undocumented', handler: 'health', auth: 'none' }],
      }),
    ).toThrow('no description of GET /undocumented');
  });
});
