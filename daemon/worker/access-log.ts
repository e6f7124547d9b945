/**
 * The access log, worker side: loaded only when the app has an `access_log`. One line per
 * response, formatted here (combined or json), sent to the arbiter in batches: at most one IPC
 * message per BATCH_LINES responses or per BATCH_MS, whichever comes first. The arbiter writes
 * them through the same rotating writer as the app's other logs.
 */
import type http from 'node:http';
import type { AccessLogSpec } from '../protocol.js';
import { clientAddress } from './client-address.js';

const BATCH_LINES = 100;
const BATCH_MS = 100;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface AccessLog {
  /** Call as a request starts: its line is made when its response closes. */
  record(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Send what is batched; resolves once it is handed to the IPC channel (before the worker exits). */
  flush(): Promise<void>;
}

export function createAccessLog(spec: AccessLogSpec, app: string, worker: number): AccessLog {
  let batch: string[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0 || !process.connected) return Promise.resolve();
    const lines = batch;
    batch = [];
    return new Promise((resolve) => process.send!({ t: 'access', lines }, undefined, {}, () => resolve()));
  };

  const push = (line: string): void => {
    batch.push(line);
    if (batch.length >= BATCH_LINES) void flush();
    else timer ??= setTimeout(flush, BATCH_MS).unref();
  };

  const format = spec.format === 'json' ? json : combined;

  return {
    flush,
    record(req, res) {
      const start = performance.now();
      const sent = countBytes(res);
      res.once('close', () => {
        push(format({ req, status: res.statusCode, bytes: sent(), ms: performance.now() - start, remote: clientAddress(req, spec.trusted), app, worker }));
      });
    },
  };
}

interface Fields {
  req: http.IncomingMessage;
  status: number;
  bytes: number;
  ms: number;
  remote: string | undefined;
  app: string;
  worker: number;
}

/** `%h - - [%t] "%r" %s %b "%{Referer}" "%{User-Agent}"`, as nginx and gunicorn write it. */
function combined(f: Fields): string {
  const { req } = f;
  const requestLine = `${req.method ?? '-'} ${req.url ?? '-'} HTTP/${req.httpVersion}`;
  return `${f.remote ?? '-'} - - [${clfTime(Date.now())}] "${escape(requestLine)}" ${f.status} ${f.bytes > 0 ? f.bytes : '-'} "${escape(header(req, 'referer') ?? '-')}" "${escape(header(req, 'user-agent') ?? '-')}"`;
}

function json(f: Fields): string {
  const { req } = f;
  return JSON.stringify({
    time: new Date().toISOString(),
    remote: f.remote ?? null,
    method: req.method ?? null,
    url: req.url ?? null,
    status: f.status,
    bytes: f.bytes,
    duration_ms: Math.round(f.ms * 1000) / 1000,
    referer: header(req, 'referer') ?? null,
    user_agent: header(req, 'user-agent') ?? null,
    app: f.app,
    worker: f.worker,
  });
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

let clfSecond = -1;
let clfText = '';

/** `10/Oct/2000:13:55:36 +0000`, in UTC; made once a second, however many requests share it. */
function clfTime(now: number): string {
  const second = Math.floor(now / 1000);
  if (second === clfSecond) return clfText;
  clfSecond = second;
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, '0');
  return (clfText = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`);
}

const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f]/;

/** nginx's escaping: a quote, a backslash or a control character in a field cannot break the line's format. */
function escape(s: string): string {
  // nearly every field has nothing to escape: one test, and no replace, for those
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/["\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Counts the body bytes the app writes (headers excluded), as %b does. */
function countBytes(res: http.ServerResponse): () => number {
  let bytes = 0;
  const size = (chunk: unknown, encoding: unknown): number => {
    if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    return chunk instanceof Uint8Array ? chunk.byteLength : 0;
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
    bytes += size(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof res.write;
  res.end = function (this: http.ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') bytes += size(chunk, rest[0]);
    return (end as (...a: unknown[]) => http.ServerResponse).call(this, chunk, ...rest);
  } as typeof res.end;
  return () => bytes;
}
