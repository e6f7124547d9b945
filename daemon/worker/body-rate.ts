/**
 * min_body_rate (Kestrel's MinRequestBodyDataRate): a request body that, after its grace period,
 * has arrived slower on average than the minimum is answered 408 (cut off if the response had
 * started; over HTTP/2 its stream is reset) and logged. Without it a client sending one body byte
 * every few seconds holds its connection, and its place under max_connections, for ever.
 *
 * No timer per request and nothing per chunk but a counter (body-limit.ts's push): the bodies
 * being received are in one Set, which one sweep a second walks. The clock of a body stops while
 * the app leaves received bytes unread (Node then stops reading the socket, or HTTP/2 flow control
 * stops the client): a slow app is not a slow client.
 *
 * While the worker is full (max_connections), {@link reclaimSlowBody} closes the first HTTP/1
 * connection whose body has been slower than the minimum for over 250ms, so that a trickle
 * cannot keep every place taken during its grace periods either.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { abortRequest, isHttp2, refuseRequest } from './refuse.js';

export const kBody = Symbol('tsgi.body');

export interface BodyState {
  res: ServerResponse;
  /** body bytes received so far */
  seen: number;
  /** limit_request_body for a body without a Content-Length, else Infinity */
  limit: number;
  /** performance.now() the body's clock started, moved on while the app left bytes unread */
  start: number;
  /** the sweep's last look */
  checked: number;
  /** refused, cut or complete: nothing more is passed on or judged */
  over: boolean;
  /** the app's handler is still to be called (a chunked body, see body-limit.ts): a refusal goes through `res` */
  deferred: boolean;
}

export type Counted = IncomingMessage & { [kBody]: BodyState };

/** The bodies being received while min_body_rate is on. */
export const receiving = new Set<Counted>();

/**
 * Under pressure, a body is judged after this long rather than after its grace period: long
 * enough for a client's first body packet after its head (or after a 100 Continue), short
 * enough that a trickle reconnecting all at once cannot hold every place for long.
 */
const PRESSED_MS = 250;

/** Turns the request away with `status`: through its response if the app has not been called, else as abortRequest does. */
export function rejectBody(req: Counted, status: number): 'answered' | 'cut' {
  const state = req[kBody];
  state.over = true;
  receiving.delete(req);
  if (state.deferred) {
    state.deferred = false;
    refuseRequest(req, state.res, status);
    return 'answered';
  }
  return abortRequest(req, state.res, status);
}

/** Starts the once-a-second sweep; `rate` in bytes per second, `grace` in ms. */
export function sweepBodyRates(rate: number, grace: number): void {
  setInterval(sweep, 1000, rate, grace).unref();
}

function sweep(rate: number, grace: number): void {
  // the common case, each second of a worker's life: no body on its way
  if (receiving.size === 0) return;
  const now = performance.now();
  // one line a sweep: a trickle of a thousand connections must not become a thousand log lines
  let cut = 0;
  let example = '';
  for (const req of receiving) {
    const state = req[kBody];
    if (state.over || req.destroyed) {
      receiving.delete(req);
      continue;
    }
    if (req.readableLength > 0) state.start += now - state.checked;
    state.checked = now;
    const elapsed = now - state.start;
    if (elapsed < grace || state.seen * 1000 >= rate * elapsed) continue;
    const outcome = rejectBody(req, 408) === 'answered' ? 'answered 408' : 'cut off';
    if (cut++ === 0) example = `${state.seen} bytes in ${Math.round(elapsed)}ms, ${outcome}: ${req.method} ${(req.url ?? '').split('?', 1)[0]}`;
  }
  if (cut === 1) process.stderr.write(`tsgi: request body slower than ${rate} B/s (min_body_rate): ${example}\n`);
  else if (cut > 1) process.stderr.write(`tsgi: ${cut} request bodies slower than ${rate} B/s (min_body_rate) closed, the first ${example}\n`);
}

/** The worker is full: closes one HTTP/1 connection whose body has been too slow for over 250ms. True if one was closed. */
export function reclaimSlowBody(rate: number): boolean {
  const now = performance.now();
  for (const req of receiving) {
    const state = req[kBody];
    // a reset HTTP/2 stream frees no connection
    if (state.over || req.destroyed || isHttp2(req) || req.readableLength > 0) continue;
    const elapsed = now - state.start;
    if (elapsed < PRESSED_MS || state.seen * 1000 >= rate * elapsed) continue;
    state.over = true;
    receiving.delete(req);
    req.socket.destroy();
    return true;
  }
  return false;
}
