/**
 * Bearer-token check for the admin API over TCP, compared in constant time. A refused call gets
 * 401 and nothing else: no hint whether the token was missing or wrong, nor which routes exist.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../daemon/errors.js';
import { PAGE_ROUTES } from './routes/dashboard.js';

/** Routes a probe (a load balancer, Kubernetes) calls without a token: they say "alive" and "ready", and why not. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/v1/health', '/v1/ready']);

const BEARER = /^Bearer +(\S+) *$/i;

export function installAuth(app: FastifyInstance, token: string | undefined): void {
  if (token === undefined) return;
  if (token === '') throw new TsgiError('TSGI_ERR_CONFIG_INVALID', 'admin.token: an empty token would let anyone in');
  // hashing both sides first gives equal lengths, so timingSafeEqual leaks nothing about the length
  const expected = digest(token);
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url ?? '';
    // the dashboard's files hold no data: the page asks for the token, then calls the API with it
    if (OPEN_ROUTES.has(route) || PAGE_ROUTES.has(route)) return;
    const given = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      const err = new TsgiError('TSGI_ERR_API_UNAUTHORIZED', 'unauthorized');
      return reply.code(err.status).header('www-authenticate', 'Bearer').send(err.toJSON());
    }
  });
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
