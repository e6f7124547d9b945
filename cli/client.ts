/**
 * A small HTTP client for the admin API over a unix socket or TCP; node:http only, to start fast.
 * The daemon is looked up on the first call, so commands that never call need no daemon.
 */
import http from 'node:http';
import { isErrorCode, TsgiError } from '../daemon/errors.js';
import { refusedHint } from './errors.js';
import type { Target } from './find-daemon.js';
import { openStream } from './sse.js';

export interface Client {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** A server-sent-events GET: `onData` per event, until the daemon ends it or `signal` aborts. */
  stream(path: string, onData: (data: string, event: string) => void, signal?: AbortSignal): Promise<void>;
}

export function createClient(find: () => Promise<Target>): Client {
  let target: Promise<Target> | undefined;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => send<T>(await (target ??= find()), method, path, body);
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b),
    delete: (p) => call('DELETE', p),
    stream: async (p, onData, signal) => openStream(await (target ??= find()), p, onData, signal),
  };
}

function send<T>(target: Target, method: string, path: string, body: unknown): Promise<T> {
  const at = target.kind === 'unix' ? `unix:${target.path}` : `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {};
    if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const where = target.kind === 'unix' ? { socketPath: target.path } : { host: target.host, port: target.port };
    const req = http.request({ ...where, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let data: unknown;
        try {
          data = text === '' ? {} : JSON.parse(text);
        } catch {
          return reject(new TsgiError('TSGI_ERR_API_INTERNAL', `${at} answered ${res.statusCode} with a body that is not JSON; is it tsgid?`));
        }
        if ((res.statusCode ?? 500) < 400) return resolve(data as T);
        const e = (data as { error?: { code?: unknown; message?: unknown } }).error;
        const code = isErrorCode(e?.code) ? e.code : 'TSGI_ERR_API_INTERNAL';
        const message = typeof e?.message === 'string' ? e.message : `HTTP ${res.statusCode}`;
        reject(new TsgiError(code, message + refusedHint(code, target, at)));
      });
    });
    req.on('error', (err) => {
      reject(new TsgiError('TSGI_ERR_CLI_UNREACHABLE', `cannot reach tsgid at ${at} (from ${target.where}): ${err.message}`, { cause: err }));
    });
    req.end(payload);
  });
}
