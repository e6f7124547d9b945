/**
 * GET /v1/apps/:name/logs: an app's last lines, and with follow=true a live feed as server-sent
 * events (the last lines first, then each new one), which lasts until the client goes away.
 */
import type { FastifyInstance } from 'fastify';
import type { Control } from '../control.js';
import { appParams, errorBody } from '../schemas.js';
import { TsgiError } from '../../daemon/errors.js';
import type { LogEntry } from '../../daemon/logs/line-format.js';
import type { StreamChoice } from '../../daemon/logs/app-logs.js';

export const MAX_LINES = 10_000;
/** A comment line this often keeps proxies from closing a quiet feed. */
const KEEPALIVE_MS = 15_000;
/** A client this far behind (it stopped reading) is cut off rather than buffered for: it may reconnect. */
const MAX_BEHIND = 1024 * 1024;

interface LogsQuery {
  lines?: string;
  stream?: StreamChoice;
  follow?: 'true' | 'false' | '1' | '0';
}

const logsQuery = {
  type: 'object',
  properties: {
    lines: { type: 'string', pattern: '^[0-9]{1,5}$', description: `How many of the last lines (default 100, at most ${MAX_LINES}); 0 with follow=true: only new ones.` },
    stream: { type: 'string', enum: ['out', 'err', 'all'], description: 'stdout, stderr, or both merged by time (default all).' },
    follow: { type: 'string', enum: ['true', 'false', '1', '0'], description: 'true: answer text/event-stream, one `data:` event (a JSON line entry) per line, until the client disconnects.' },
  },
  additionalProperties: false,
} as const;

const entry = {
  type: 'object',
  properties: {
    time: { type: ['string', 'null'] },
    app: { type: ['string', 'null'] },
    worker: { type: ['integer', 'null'] },
    stream: { type: 'string', enum: ['out', 'err'], description: 'absent for a file both streams share' },
    line: { type: 'string' },
  },
};

export function logRoutes(app: FastifyInstance, control: Control): void {
  app.get<{ Params: { name: string }; Querystring: LogsQuery }>(
    '/v1/apps/:name/logs',
    {
      schema: {
        summary: "An app's recent stdout/stderr lines; follow=true streams new ones (server-sent events)",
        description: 'From the log files when the stream goes to a file, else from the last 1000 lines tsgid keeps in memory per app (logs.dir unset).',
        tags: ['apps'],
        params: appParams,
        querystring: logsQuery,
        response: { 404: { ...errorBody, description: 'TSGI_ERR_APP_NOT_FOUND' } },
      },
      config: { ok: { status: 200, description: 'The lines, oldest first (or a text/event-stream)', schema: { type: 'object', properties: { app: { type: 'string' }, lines: { type: 'array', items: entry } } } } },
    },
    async (req, reply) => {
      const { name } = req.params;
      control.appStatus(name); // 404 for an unknown app
      const n = req.query.lines === undefined ? 100 : Number(req.query.lines);
      if (n > MAX_LINES) throw new TsgiError('TSGI_ERR_API_VALIDATION', `querystring/lines must be at most ${MAX_LINES}, got ${n}`);
      const stream = req.query.stream ?? 'all';
      const follow = req.query.follow === 'true' || req.query.follow === '1';
      if (!follow) return { app: name, lines: n === 0 ? [] : await control.logs.tail(name, n, stream) };

      // subscribed before the backlog is read, so no line falls between the two
      const early: LogEntry[] = [];
      let send = (e: LogEntry): void => void early.push(e);
      let ended = false;
      const stop = control.logs.follow(name, stream, (e) => send(e), () => {
        ended = true;
        if (reply.raw.headersSent) reply.raw.end();
      });
      let backlog: LogEntry[];
      try {
        backlog = n === 0 ? [] : await control.logs.tail(name, n, stream);
      } catch (err) {
        stop();
        throw err;
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      // the client knows it is subscribed as soon as it sees the headers, even with no backlog
      res.flushHeaders();
      const event = (e: LogEntry): void => void res.write(`data: ${JSON.stringify(e)}\n\n`);
      for (const e of backlog) event(e);
      // what arrived while the backlog was read, less what the backlog already had
      for (const e of notIn(backlog, early)) event(e);
      // the backlog (up to MAX_LINES) may sit in the buffer; only falling behind on top of it counts
      const allowed = res.writableLength + MAX_BEHIND;
      send = (e) => {
        if (res.destroyed) return;
        event(e);
        if (res.writableLength > allowed) res.destroy();
      };
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS).unref();
      const done = (): void => {
        clearInterval(keepalive);
        stop();
      };
      res.once('close', done);
      // a client gone while the backlog was read closed before the listener was there
      if (res.socket === null || res.socket.destroyed) done();
      // the app was removed, or tsgid began to shut down, while the backlog was read
      if (ended) res.end();
    },
  );
}

/**
 * The lines of `early` not already in `backlog`. A line read back from a file is a new object, so
 * lines are matched by time, worker and text; counted, so that two equal lines are both kept.
 */
export function notIn(backlog: readonly LogEntry[], early: readonly LogEntry[]): LogEntry[] {
  if (early.length === 0) return [];
  const key = (e: LogEntry): string => `${e.time ?? ''}\u0000${e.worker ?? ''}\u0000${e.line}`;
  const seen = new Map<string, number>();
  for (const e of backlog) seen.set(key(e), (seen.get(key(e)) ?? 0) + 1);
  return early.filter((e) => {
    const n = seen.get(key(e)) ?? 0;
    if (n === 0) return true;
    seen.set(key(e), n - 1);
    return false;
  });
}
