/**
 * GET /: the dashboard, a static page (api/dashboard/: HTML, one plain ES module, CSS; no build
 * step). It holds no data: everything it shows or does goes through the API with the token the
 * user pastes, so the page itself needs none (a browser cannot send a header when it navigates).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../../daemon/errors.js';

/**
 * The page's files, by the path they are served at. The charts are uPlot (MIT, ~50 KB minified, no
 * dependencies), served from the installed package, never from a CDN: the page works offline and
 * the CSP allows nothing but this origin.
 */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/uplot.js': { file: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/uplot.css': { file: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/logs.js': { file: 'logs.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/jobs.js': { file: 'jobs.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/util.js': { file: 'util.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/dashboard/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

/** Served without a token: see api/auth.ts. */
export const PAGE_ROUTES: ReadonlySet<string> = new Set(Object.keys(FILES));

/**
 * Nothing but the page's own files may load or be called (an injected script could not send the
 * token elsewhere); no framing (clickjacking of the buttons); no referrer.
 */
const HEADERS = {
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

// The files stay in the source tree (api/dashboard/), which the package ships; from
// dist/api/routes/ that is three levels up. A copy beside this module wins (a bundler, tsx).
const PLACES = [new URL('../dashboard/', import.meta.url), new URL('../../../api/dashboard/', import.meta.url)];

const cache = new Map<string, Buffer>();

const require = createRequire(import.meta.url);

function read(file: string): Buffer {
  let body = cache.get(file);
  if (body !== undefined) return body;
  // a package's file: wherever node resolves it from here
  const places = file.includes('/') ? [pathToFileURL(require.resolve(file))] : PLACES.map((dir) => new URL(file, dir));
  for (const place of places) {
    try {
      body = readFileSync(place);
      break;
    } catch {
      // try the next place
    }
  }
  if (body === undefined) throw new TsgiError('TSGI_ERR_API_INTERNAL', `dashboard file ${file} is missing from the installation`);
  cache.set(file, body);
  return body;
}

export function dashboardRoutes(app: FastifyInstance): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    app.get(path, async (_req, reply) => reply.headers({ ...HEADERS, 'content-type': type }).send(read(file)));
  }
}
