/**
 * GET /v1/events: the daemon as a server-sent event stream, for the dashboard and `tsgictl top`.
 * Auth is the same bearer token as every route: EventSource cannot send a header, so the page
 * reads the stream with fetch(), never with the token in the URL (where logs and history keep it).
 */
import type { FastifyInstance } from 'fastify';
import { EventHub, type EventHubOptions } from '../event-hub.js';
import type { Control } from '../control.js';

/**
 * A client that reads slower than this is behind by minutes of events: it is cut off (and
 * reconnects to a fresh snapshot) instead of growing the daemon's memory.
 */
const MAX_UNSENT = 1024 * 1024;

/** it takes no parameters: an unknown one is a 400, as on every route */
const noQuery = { type: 'object', properties: {}, additionalProperties: false } as const;

const DESCRIPTION = [
  '`text/event-stream`. First a `snapshot` event (the body of GET /v1/apps), then a `worker` event',
  'on every change of a worker\'s state ({type, app, worker, pid, from, to, reason, at}) and a `stats`',
  'event every second (the daemon\'s status as in GET /v1/apps without the apps\' config: workers',
  'with rss, cpu and requests, recent_restarts), and an `audit` event for every admin action and every',
  'call refused for its token ({at, who, method, route, app, body, status, code}: api/audit.ts). A `: ping` comment every 15 s keeps the stream open',
  'through proxies. Send `Authorization: Bearer TOKEN` as on every route (with fetch(): EventSource',
  'cannot send headers).',
].join(' ');

export interface EventRouteOptions extends EventHubOptions {
  /** bytes a client may fall behind before it is cut off (default MAX_UNSENT; a test sets less) */
  maxUnsent?: number;
}

export function eventRoutes(app: FastifyInstance, control: Control, options: EventRouteOptions = {}): void {
  const hub = new EventHub(control, options);
  const maxUnsent = options.maxUnsent ?? MAX_UNSENT;
  // closing the admin API waits for open responses: a stream is open until its client hangs up
  app.addHook('preClose', (done) => {
    hub.close();
    done();
  });

  app.get('/v1/events', { schema: { summary: 'Live events (server-sent events): snapshot, worker, stats', description: DESCRIPTION, tags: ['events'], querystring: noQuery }, config: { ok: { status: 200, description: 'An event stream (text/event-stream)' } } }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx in front would otherwise buffer the stream
      'x-accel-buffering': 'no',
    });
    let unsubscribe = (): void => {};
    const client = {
      send(chunk: string): void {
        if (res.writableLength > maxUnsent) {
          unsubscribe();
          res.destroy();
        } else {
          res.write(chunk);
        }
      },
      end: () => res.end(),
    };
    unsubscribe = hub.subscribe(client);
    res.on('close', () => unsubscribe());
    // the client may have gone while the snapshot was written
    if (res.destroyed) unsubscribe();
    req.raw.on('error', () => unsubscribe());
  });
}
