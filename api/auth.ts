/**
 * Who may call the admin API, and as what. Over TCP: bearer tokens, compared in constant time,
 * each with a role (`read` or `full`, admin.tokens). A refused token gets 401 and nothing else: no
 * hint whether it was missing or wrong, nor which routes exist. A valid `read` token on a route
 * that changes something (or reads the apps' logs) gets 403 TSGI_ERR_API_FORBIDDEN.
 *
 * Over the unix socket: no token. The socket is created 0600 (api/listen.ts), so the peer is
 * tsgid's own user or root; Node does not expose SO_PEERCRED, so the audit records `unix` and
 * tsgid's uid, which is who the peer must be (or root).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenRole } from '../daemon/config/index.js';
import { TsgiError } from '../daemon/errors.js';
import { PAGE_ROUTES } from './routes/dashboard.js';

/** Routes a probe (a load balancer, Kubernetes) calls without a token: they say "alive" and "ready", and why not. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/v1/health', '/v1/ready']);

export interface ApiToken {
  /** what the audit records name (never the token) */
  name: string;
  token: string;
  role: TokenRole;
}

export interface Caller {
  via: 'unix' | 'tcp';
  /** the TCP client's address */
  address?: string;
  /** over the unix socket: tsgid's uid (the socket is 0600: the peer is that user, or root) */
  uid?: number;
  /** the name of the token it used */
  token?: string;
  role: TokenRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

const BEARER = /^Bearer +(\S+) *$/i;

export function installAuth(app: FastifyInstance, tokens: readonly ApiToken[] | undefined): void {
  app.decorateRequest('caller', null);
  if (tokens === undefined || tokens.length === 0) {
    app.addHook('onRequest', async (req) => {
      req.caller = local(req);
    });
    return;
  }
  for (const t of tokens) if (t.token === '') throw new TsgiError('TSGI_ERR_CONFIG_INVALID', `admin token "${t.name}": an empty token would let anyone in`);
  // hashing both sides first gives equal lengths, so timingSafeEqual leaks nothing about the length
  const expected = tokens.map((t) => ({ ...t, digest: digest(t.token) }));
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url ?? '';
    // the dashboard's files hold no data: the page asks for the token, then calls the API with it
    if (OPEN_ROUTES.has(route) || PAGE_ROUTES.has(route)) return;
    const given = BEARER.exec(req.headers.authorization ?? '')?.[1];
    const match = given === undefined ? undefined : matchToken(expected, digest(given));
    if (match === undefined) {
      const err = new TsgiError('TSGI_ERR_API_UNAUTHORIZED', 'unauthorized');
      return reply.code(err.status).header('www-authenticate', 'Bearer').send(err.toJSON());
    }
    req.caller = { via: 'tcp', address: req.ip, token: match.name, role: match.role };
    if (!allowed(match.role, req.method, route)) {
      const err = new TsgiError('TSGI_ERR_API_FORBIDDEN', `token "${match.name}" has the read role: ${req.method} ${route} needs a full one`);
      return reply.code(err.status).send(err.toJSON());
    }
  });
}

/** `read`: every GET but the apps' logs, which hold whatever an app prints (secrets too). */
export function allowed(role: TokenRole, method: string, route: string): boolean {
  if (role === 'full') return true;
  return (method === 'GET' || method === 'HEAD') && !/\/logs(\/|$)/.test(route);
}

/** Every token is compared, so the time taken says nothing about which one matched. */
function matchToken<T extends { digest: Buffer }>(tokens: readonly T[], given: Buffer): T | undefined {
  let found: T | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, given) && found === undefined) found = t;
  return found;
}

function local(req: FastifyRequest): Caller {
  const uid = process.getuid?.();
  return req.socket.remoteAddress === undefined ? { via: 'unix', ...(uid !== undefined && { uid }), role: 'full' } : { via: 'tcp', address: req.ip, role: 'full' };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
