/**
 * A server-sent-events GET on the admin API (`tsgictl logs -f`, `tsgictl top`): calls `onData` with each
 * event's data as it arrives; resolves when the daemon ends the stream or `signal` aborts it.
 * node:http only, like client.ts, so tsgictl starts fast.
 */
import http from 'node:http';
import { isErrorCode, TsgiError } from '../daemon/errors.js';
import { refusedHint } from './errors.js';
import type { Target } from './find-daemon.js';

export function openStream(target: Target, path: string, onData: (data: string, event: string) => void, signal?: AbortSignal): Promise<void> {
  const at = target.kind === 'unix' ? `unix:${target.path}` : `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { accept: 'text/event-stream' };
    if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
    const where = target.kind === 'unix' ? { socketPath: target.path } : { host: target.host, port: target.port };
    const req = http.request({ ...where, method: 'GET', path, headers, agent: false }, (res) => {
      res.setEncoding('utf8');
      if ((res.statusCode ?? 500) >= 400) {
        let text = '';
        res.on('data', (c: string) => (text += c));
        res.on('end', () => reject(codedError(res.statusCode ?? 500, text, target, at)));
        return;
      }
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end = buf.indexOf('\n\n');
        while (end !== -1) {
          const lines = buf.slice(0, end).split('\n');
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
          // `event: NAME` (GET /v1/events sends several kinds); SSE's default name is "message"
          const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
          if (data.length > 0) onData(data.join('\n'), event);
          buf = buf.slice(end + 2);
          end = buf.indexOf('\n\n');
        }
      });
      res.on('end', resolve);
      res.on('close', resolve);
    });
    req.on('error', (err) => {
      if (signal?.aborted) return resolve();
      reject(new TsgiError('TSGI_ERR_CLI_UNREACHABLE', `cannot reach tsgid at ${at} (from ${target.where}): ${err.message}`, { cause: err }));
    });
    signal?.addEventListener('abort', () => {
      req.destroy();
      resolve();
    }, { once: true });
    req.end();
  });
}

function codedError(status: number, text: string, target: Target, at: string): TsgiError {
  let e: { code?: unknown; message?: unknown } | undefined;
  try {
    e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
  } catch {
    // not JSON: said below
  }
  const code = isErrorCode(e?.code) ? e.code : 'TSGI_ERR_API_INTERNAL';
  return new TsgiError(code, (typeof e?.message === 'string' ? e.message : `HTTP ${status}`) + refusedHint(code, target, at));
}
