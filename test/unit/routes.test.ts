import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRouter, router, routes } from '../../shared/routes.js';

describe('route table', () => {
  it('has one entry per method and path', () => {
    const keys = routes.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(routes)('$method $path has a handler module exporting handler', async (route) => {
    // A function reads its configuration as it loads (Lambda init): give it a valid one.
    process.env.TABLE_NAME ??= 'unit-test-table';
    const file = path.resolve(import.meta.dirname, '../../functions', `${route.handler}.ts`);
    expect(existsSync(file)).toBe(true);
    const module = (await import(file)) as { handler?: unknown };
    expect(typeof module.handler).toBe('function');
  });

  it('matches a known route', () => {
    const { match, pathKnown } = router.match('POST', '/v1/authn');
    expect(pathKnown).toBe(true);
    expect(match?.route.handler).toBe('authn-start');
  });

  it('tells a wrong method (405) from an unknown path (404)', () => {
    expect(router.match('GET', '/v1/authn')).toEqual({ pathKnown: true });
    expect(router.match('GET', '/v1/nope')).toEqual({ pathKnown: false });
    expect(router.match('POST', '/v1/authn/')).toEqual({ pathKnown: false });
    expect(router.allowedMethods('/v1/authn')).toEqual(['POST']);
  });

  it('extracts and decodes path parameters; a parameter never spans segments', () => {
    const custom = createRouter([
      {
        method: 'POST',
        path: '/v1/users/{userId}/factors/{factorId}/activate',
        handler: 'x',
        auth: 'client',
      },
      { method: 'GET', path: '/.well-known/jwks.json', handler: 'y', auth: 'none' },
    ]);
    expect(
      custom.match('POST', '/v1/users/a%40b.c/factors/f1/activate').match?.pathParameters,
    ).toEqual({
      userId: 'a@b.c',
      factorId: 'f1',
    });
    expect(custom.match('POST', '/v1/users/a/b/factors/f1/activate').pathKnown).toBe(false);
    expect(custom.match('GET', '/.well-known/jwksxjson').pathKnown).toBe(false);
    // Malformed %-encoding is passed as sent: the handler's validation refuses it (400).
    expect(
      custom.match('POST', '/v1/users/%E0%A4%A/factors/f/activate').match?.pathParameters,
    ).toEqual({ userId: '%E0%A4%A', factorId: 'f' });
    for (const dots of ['..', '.', '%2E%2E', '%2e']) {
      expect(custom.match('POST', `/v1/users/${dots}/factors/f/activate`)).toEqual({
        pathKnown: false,
      });
    }
  });
});
