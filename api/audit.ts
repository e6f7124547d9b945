/**
 * The audit trail: every admin action (a request that is not a read) and every refused call is
 * one structured record, in tsgid's log and as an `audit` event on GET /v1/events. Who (the
 * caller: unix socket and uid, or TCP address and token name), what (method, route, app, a
 * summary of the body), and the result (status, error code). Never a secret: no token, no
 * header, and `env` values of a body are left out (only its keys are named).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../daemon/log.js';
import type { Caller } from './auth.js';
import type { Control } from './control.js';

export interface AuditRecord {
  at: string;
  who: Caller | { via: 'unknown' };
  method: string;
  route: string;
  app?: string;
  /** the body, without env values, cut at SUMMARY_MAX characters */
  body?: string;
  status: number;
  code?: string;
}

const SUMMARY_MAX = 300;

export function installAudit(app: FastifyInstance, control: Control, log: Logger | undefined): void {
  app.addHook('onSend', async (req, reply, payload) => {
    // the error code is in the payload; keep it for onResponse
    if (reply.statusCode >= 400 && typeof payload === 'string') auditCodes.set(req, /"code":"(TSGI_ERR_[A-Z_]+)"/.exec(payload)?.[1]);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    if (!audited(req, reply)) return;
    const record = auditRecord(req, reply, auditCodes.get(req));
    log?.audit?.(record, `audit: ${describe(record)}`);
    control.events.emit('audit', record);
  });
}

const auditCodes = new WeakMap<FastifyRequest, string | undefined>();

/** Actions, and any call refused for its token. Reads are not actions (a dashboard polls). */
function audited(req: FastifyRequest, reply: FastifyReply): boolean {
  return !(req.method === 'GET' || req.method === 'HEAD') || reply.statusCode === 401 || reply.statusCode === 403;
}

export function auditRecord(req: FastifyRequest, reply: FastifyReply, code: string | undefined): AuditRecord {
  const params = req.params as { name?: unknown } | undefined;
  const name = typeof params?.name === 'string' ? params.name : typeof (req.body as { name?: unknown } | undefined)?.name === 'string' ? (req.body as { name: string }).name : undefined;
  const body = summarize(req.body);
  return {
    at: new Date().toISOString(),
    who: req.caller ?? { via: 'unknown' },
    method: req.method,
    route: req.routeOptions.url ?? req.url.split('?')[0]!,
    ...(name !== undefined && { app: name }),
    ...(body !== undefined && { body }),
    status: reply.statusCode,
    ...(code !== undefined && { code }),
  };
}

/** The body as JSON with `env` reduced to its keys; undefined when there is none. */
export function summarize(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  const json = JSON.stringify(body, (key, value: unknown) => (key === 'env' && typeof value === 'object' && value !== null ? Object.keys(value).map((k) => `${k}=…`) : value));
  if (json === undefined || json === '{}') return undefined;
  return json.length > SUMMARY_MAX ? `${json.slice(0, SUMMARY_MAX)}…` : json;
}

function describe(r: AuditRecord): string {
  const who = r.who.via === 'tcp' ? `${r.who.address ?? '?'} token ${r.who.token ?? '-'}` : r.who.via === 'unix' ? `unix uid ${r.who.uid ?? '?'}` : 'unknown';
  return `${who}: ${r.method} ${r.route}${r.app ? ` (${r.app})` : ''} → ${r.status}${r.code ? ` ${r.code}` : ''}`;
}
