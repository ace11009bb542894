import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LocalResponse } from './proxy-event.js';

/** The demo page's sources (`local/demo-page/`): static HTML and CSS, one TypeScript entry. */
const SOURCE_DIR = path.join(import.meta.dirname, 'demo-page');

/** Where the local runtime serves the page: `/`, and its assets under the local-only prefix. */
export const DEMO_PAGE_PATHS = {
  page: '/',
  script: '/_local/demo-page/app.js',
  style: '/_local/demo-page/style.css',
} as const;

/**
 * The page may talk to this server only, run only its own script (no inline code), and show
 * the TOTP QR code the enroll answer carries as a `data:` URL.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DemoPageOptions {
  /** The max age of `GET /demo/cats` this runtime enforces, shown on the page when known. */
  readonly catsMaxAgeSeconds?: number;
}

export interface DemoPage {
  /** The asset at `pathname` (GET), undefined for any other path. */
  serve(pathname: string): Promise<LocalResponse | undefined>;
  /** Builds the script now (`npm start` does, before it says it is ready). */
  build(): Promise<void>;
}

/** The page's script: `main.ts` and what it imports (the typed client) in one ES module. */
const bundle = async (): Promise<Buffer> => {
  // esbuild (a dependency: the constructs bundle the Lambdas with it) is loaded on first use
  // so that runtimes that never serve the page (the tests) do not pay for it.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(SOURCE_DIR, 'main.ts')],
    tsconfig: path.join(SOURCE_DIR, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output for the demo page');
  return Buffer.from(output.contents);
};

const asset = (contentType: string, body: Buffer): LocalResponse => ({
  status: 200,
  headers: {
    'content-type': contentType,
    // Rebuilt on each start of the runtime: never serve a stale copy after a restart.
    'cache-control': 'no-store',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  },
  body,
});

/**
 * The demo page of the local runtime (never deployed: it signs in as the seeded local app with
 * its well-known secret). Each asset is made once, on first use, and kept; a failed build is
 * not kept, so the next request tries again.
 */
export const createDemoPage = (options: DemoPageOptions): DemoPage => {
  const made = new Map<string, Promise<LocalResponse>>();
  const once = (key: string, make: () => Promise<LocalResponse>) => {
    let response = made.get(key);
    if (!response) {
      response = make();
      made.set(key, response);
      response.catch(() => made.delete(key));
    }
    return response;
  };
  const makers = new Map<string, () => Promise<LocalResponse>>([
    [
      DEMO_PAGE_PATHS.page,
      async () => {
        const html = await readFile(path.join(SOURCE_DIR, 'index.html'), 'utf8');
        const filled = html.replaceAll('{{CATS_MAX_AGE}}', String(options.catsMaxAgeSeconds ?? ''));
        return asset('text/html; charset=utf-8', Buffer.from(filled));
      },
    ],
    [
      DEMO_PAGE_PATHS.style,
      async () =>
        asset('text/css; charset=utf-8', await readFile(path.join(SOURCE_DIR, 'style.css'))),
    ],
    [DEMO_PAGE_PATHS.script, async () => asset('text/javascript; charset=utf-8', await bundle())],
  ]);
  const serve = async (pathname: string) => {
    const make = makers.get(pathname);
    return make ? once(pathname, make) : undefined;
  };
  return {
    serve,
    build: async () => {
      await serve(DEMO_PAGE_PATHS.script);
    },
  };
};
