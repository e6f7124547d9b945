/**
 * Bearer-token check for the admin API over TCP, compared in constant time. A refused call gets
 * 401 and nothing else: no hint whether the token was missing or wrong, nor which routes exist.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../daemon/errors.js';

/** Routes a probe may call without a token: they say nothing but "alive". */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/v1/health']);

const BEARER = /^Bearer +(\S+) *$/i;

export function installAuth(app: FastifyInstance, token: string | undefined): void {
  if (token === undefined) return;
  if (token === '') throw new TsgiError('TSGI_ERR_CONFIG_INVALID', 'admin.token: an empty token would let anyone in');
  // hashing both sides first gives equal lengths, so timingSafeEqual leaks nothing about the length
  const expected = digest(token);
  app.addHook('onRequest', async (req, reply) => {
    if (OPEN_ROUTES.has(req.routeOptions.url ?? '')) return;
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
