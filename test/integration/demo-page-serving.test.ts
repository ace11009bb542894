import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/routes.js';
import { startTestRuntime } from '../support/local.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  runtime = await startTestRuntime({ demoCatsMaxAgeSeconds: 5 });
});
afterAll(async () => {
  await runtime?.close();
});

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

describe('demo page: served by the local runtime only', () => {
  it('GET / → the page, with a strict CSP and the max age of /demo/cats this runtime enforces', async () => {
    const response = await fetch(`${runtime.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const html = await response.text();
    expect(html).toContain('data-cats-max-age="5"');
    expect(html).not.toContain('<script>'); // no inline script: the CSP would refuse it
  });

  it('its script is one ES module with the typed client, carrying the seeded app only', async () => {
    const response = await fetch(`${runtime.url}/_local/demo-page/app.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await response.text();
    expect(script).toContain('var MfaClient = class');
    expect(script).toContain('/v1/authn/factors/{factorId}/verify');
    expect(script).toContain('"demo-secret"');
    expect(script).not.toMatch(/^\s*import\s/m); // bundled: nothing left to fetch
    const style = await fetch(`${runtime.url}/_local/demo-page/style.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('POST / → 405 method_not_allowed with Allow: GET; an unknown asset → 404', async () => {
    const post = await fetch(`${runtime.url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect(await post.json()).toMatchObject({ code: 'method_not_allowed' });
    const unknown = await fetch(`${runtime.url}/_local/demo-page/other.js`);
    expect(unknown.status).toBe(404);
  });

  it('is not in the route table, so neither API Gateway nor the OpenAPI document has it', async () => {
    const local = (path: string) => path === '/' || path.startsWith('/_local');
    expect(routes.filter((route) => local(route.path))).toEqual([]);
    const document = (await (await fetch(`${runtime.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths).filter(local)).toEqual([]);
  });
});
