/** Bearer-token check for the admin API, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../daemon/errors.js';

/** Routes a probe may call without a token: they say nothing but "alive". */
const OPEN_ROUTES = new Set(['/v1/health']);

export function installAuth(app: FastifyInstance, token: string | undefined): void {
  if (token === undefined) return;
  // hashing both sides first gives equal lengths, so timingSafeEqual leaks nothing about the length
  const expected = digest(token);
  app.addHook('onRequest', async (req, reply) => {
    if (OPEN_ROUTES.has(req.routeOptions.url ?? '')) return;
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (given === '' || !timingSafeEqual(digest(given), expected)) {
      const err = new TsgiError('TSGI_ERR_API_UNAUTHORIZED', 'unauthorized');
      return reply.code(err.status).send(err.toJSON());
    }
  });
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
