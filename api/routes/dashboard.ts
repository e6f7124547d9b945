/**
 * GET /: the dashboard, a static page (api/dashboard/: HTML, one plain ES module, CSS; no build
 * step). It holds no data: everything it shows or does goes through the API with the token the
 * user pastes, so the page itself needs none (a browser cannot send a header when it navigates).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../../daemon/errors.js';

/** The page's files, by the path they are served at. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
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

function read(file: string): Buffer {
  let body = cache.get(file);
  if (body !== undefined) return body;
  for (const dir of PLACES) {
    try {
      body = readFileSync(new URL(file, dir));
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
