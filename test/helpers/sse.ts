/**
 * A test's reader of GET /v1/events: `next(pred)` resolves with the first event (from the start
 * of the stream, or after the last one taken) that matches, so a test awaits what the daemon
 * says instead of sleeping. The deadline guards against a hang; it is never what is asserted.
 */
import http from 'node:http';
import { scaled } from './wait.js';

export interface SseEvent {
  event: string;
  data: any;
}

export interface SseStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** every event so far, in order */
  events: SseEvent[];
  /** comment lines seen (`: ping`) */
  comments: string[];
  next(pred?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** hang up, as a browser tab closing does */
  close(): void;
  /** the server ended the stream */
  ended: Promise<void>;
}

export function openEvents(url: string, opts: { headers?: http.OutgoingHttpHeaders; socketPath?: string } = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, socketPath: opts.socketPath, headers: { accept: 'text/event-stream', ...opts.headers } }, (res) => {
      res.setEncoding('utf8');
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let cursor = 0;
      let wake: () => void = () => {};
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = 'message';
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data !== undefined) events.push({ event, data: JSON.parse(data) });
        }
        wake();
      });
      const ended = new Promise<void>((r) => res.once('close', () => r()));
      void ended.then(() => wake());
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        close: () => req.destroy(),
        async next(pred = () => true, timeoutMs = 20_000) {
          const deadline = Date.now() + scaled(timeoutMs);
          for (;;) {
            while (cursor < events.length) {
              const e = events[cursor++]!;
              if (pred(e)) return e;
            }
            if (res.closed) throw new Error(`the stream ended; events: ${events.map((e) => e.event).join(', ')}`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`timed out waiting for an event; got: ${events.map((e) => e.event).join(', ')}`);
            await new Promise<void>((r) => {
              const t = setTimeout(r, left);
              wake = () => {
                clearTimeout(t);
                r();
              };
            });
          }
        },
      });
    });
    req.on('error', reject);
  });
}
