/** A small HTTP client for the admin API over a unix socket or TCP; node:http only, to start fast. */
import http from 'node:http';
import { isErrorCode, TsgiError } from '../daemon/errors.js';
import type { Target } from './find-daemon.js';

export interface Client {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

export function createClient(target: Target): Client {
  const call = <T>(method: string, path: string, body?: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
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
            return reject(new TsgiError('TSGI_ERR_API_INTERNAL', `the daemon answered ${res.statusCode} with a body that is not JSON`));
          }
          if ((res.statusCode ?? 500) < 400) return resolve(data as T);
          const e = (data as { error?: { code?: unknown; message?: unknown } }).error;
          const code = isErrorCode(e?.code) ? e.code : 'TSGI_ERR_API_INTERNAL';
          reject(new TsgiError(code, typeof e?.message === 'string' ? e.message : `HTTP ${res.statusCode}`));
        });
      });
      req.on('error', (err) => {
        const at = target.kind === 'unix' ? `unix:${target.path}` : `${target.host}:${target.port}`;
        reject(new TsgiError('TSGI_ERR_CLI_UNREACHABLE', `cannot reach tsgid at ${at} (from ${target.where}): ${err.message}`, { cause: err }));
      });
      req.end(payload);
    });
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b) };
}
