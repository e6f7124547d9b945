/**
 * WHATWG `Response` → ServerResponse, for the fetch adapter: status, headers (each
 * `set-cookie` on its own line), then the body streamed with backpressure.
 */
import { OutgoingMessage, type ServerResponse } from 'node:http';
import { reportError } from './fail-request.js';
import { kBody, kFlat, kHeaders, kStatus, kStatusText, TEXT, wholeResponse, type WholeResponse } from './light-response.js';

/**
 * Node's own key for a response's header map (null until a header is set; lib/_http_outgoing.js,
 * Node 12 to 24). Not found, or on an HTTP/2 stream's response, it reads undefined: never null.
 */
const kOutHeaders = Object.getOwnPropertySymbols(new OutgoingMessage()).find((s) => s.description === 'kOutHeaders') ?? Symbol('none');

/** Where the body reader is kept, so it can be cancelled when the client goes away. */
const kBodyReader = Symbol('tsgi.fetch.bodyReader');

type ResponseState = ServerResponse & { [kBodyReader]?: ReadableStreamDefaultReader<Uint8Array> };

/** Duck-typed as well as `instanceof`, so a Response from another realm or a polyfill still counts. */
export function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  const candidate = value as Partial<Response> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.status === 'number' &&
    typeof candidate.headers?.getSetCookie === 'function' &&
    'body' in candidate
  );
}

/**
 * Sends `response` on `res`. Resolves once the body is fully written, or abandoned because
 * the client left; rejects only when headers could not be written (the caller answers 500).
 */
export async function sendResponse(response: Response, method: string | undefined, res: ResponseState): Promise<void> {
  const whole = wholeResponse(response);
  if (whole !== undefined) {
    sendWhole(whole, method, res);
    return;
  }
  const head: string[] = [];
  response.headers.forEach(pushHeader, head);
  for (const cookie of response.headers.getSetCookie()) head.push('set-cookie', cookie);
  const status = response.status;

  const body = response.body;
  if (body === null) {
    // Node would send an empty body chunked
    if (method !== 'HEAD' && status !== 204 && status !== 304 && !hasFraming(head)) head.push('content-length', '0');
    writeHead(res, status, response.statusText, head);
    res.end();
  } else if (method === 'HEAD' || status === 204 || status === 304) {
    writeHead(res, status, response.statusText, head);
    res.end();
    // Nobody will read it: let the app's stream know, so it can stop producing.
    body.cancel().catch(ignore);
  } else {
    await pipeBody(body, res, status, response.statusText, head);
  }
}

/**
 * A light response (light-response.ts): its body and headers as the app gave them, in one
 * write with its Content-Length in bytes; no stream, no undici Response.
 */
export function sendWhole(whole: WholeResponse, method: string | undefined, res: ServerResponse): void {
  const status = whole[kStatus];
  const body = whole[kBody];
  const headers = whole[kHeaders];
  const bodyless = status === 204 || status === 304 || method === 'HEAD';
  if (headers === undefined && typeof body === 'string' && whole[kFlat] === undefined && !bodyless && (res as unknown as Record<symbol, unknown>)[kOutHeaders] === null) {
    // The commonest answer of all (`c.text()`, `new Response('…')`) on a response the app set no
    // header on (env.outgoing): its head as one array to writeHead, which Node then takes as it
    // is; setHeader() would make and fill a header map first (as @hono/node-server, BENCHMARKS.md)
    const head = ['content-type', TEXT, 'content-length', Buffer.byteLength(body)] as unknown as string[];
    writeHead(res, status, whole[kStatusText], head);
    res.end(body);
    return;
  }
  if (headers === undefined && body !== null && !bodyless) {
    // Sent as a plain Node handler would: Node adds the Content-Length (in bytes) itself when
    // end() has the whole body and the head is not out yet.
    res.statusCode = status;
    const statusText = whole[kStatusText];
    if (statusText) res.statusMessage = statusText;
    const flat = whole[kFlat];
    let typed = false;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i] === 'content-type') typed = true;
        res.setHeader(flat[i]!, flat[i + 1]!);
      }
    }
    if (!typed && typeof body === 'string') res.setHeader('content-type', TEXT);
    res.end(body);
    return;
  }
  const head: string[] = [];
  let framed = false;
  if (headers !== undefined) {
    headers.forEach(pushHeader, head);
    for (const cookie of headers.getSetCookie()) head.push('set-cookie', cookie);
    framed = hasFraming(head);
  } else {
    const flat = whole[kFlat];
    let typed = false;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i] === 'content-type') typed = true;
        head.push(flat[i]!, flat[i + 1]!);
      }
      framed = hasFraming(head);
    }
    if (!typed && typeof body === 'string') head.push('content-type', TEXT);
  }
  // HEAD is told the length a GET would get (RFC 9110 §9.3.2); Node sends it no body
  if (!framed && status !== 204 && status !== 304) head.push('content-length', String(body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
  writeHead(res, status, whole[kStatusText], head);
  if (body === null || bodyless) res.end();
  else res.end(body);
}

function writeHead(res: ServerResponse, status: number, statusText: string, head: string[]): void {
  if (statusText) res.writeHead(status, statusText, head);
  else res.writeHead(status, head);
}

// Headers#forEach with a `this` argument: no closure per response.
function pushHeader(this: string[], value: string, name: string): void {
  // Iteration yields each set-cookie separately, but getSetCookie() is the documented way.
  if (name !== 'set-cookie') this.push(name, value);
}

/**
 * A body that is whole at once (a string, a buffer: what most handlers return, whose stream has
 * its bytes and its end ready within a few microtasks) goes out with its Content-Length and the
 * head in one write, as @hono/node-server sends it. Any other streams chunked with backpressure,
 * its head sent as soon as a read has to wait, so a stream that starts slowly (server-sent events)
 * still gets its head out at once.
 */
async function pipeBody(body: ReadableStream<Uint8Array>, res: ResponseState, status: number, statusText: string, head: string[]): Promise<void> {
  const reader = body.getReader();
  res[kBodyReader] = reader;
  // the client going away while the app's stream is between chunks: stop the app producing
  res.on('close', cancelReader);
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined = reader.read();
  try {
    const first = await readyNow(pending);
    if (first !== NOT_YET) {
      pending = first.done ? undefined : reader.read();
      const second = first.done ? first : await readyNow(pending!);
      if (second !== NOT_YET && second.done) {
        if (res.destroyed) return;
        const bytes = first.done ? undefined : first.value;
        // a handler's own framing header stands (Node checks it against what is written)
        if (!hasFraming(head)) head.push('content-length', String(bytes?.byteLength ?? 0));
        writeHead(res, status, statusText, head);
        res.end(bytes);
        return;
      }
      writeHead(res, status, statusText, head);
      if (!first.done && !res.write(first.value)) await drained(res);
      if (second !== NOT_YET) {
        pending = undefined;
        if (!second.done && !res.destroyed && !res.write(second.value)) await drained(res);
      }
    } else {
      writeHead(res, status, statusText, head);
    }
    while (!res.destroyed) {
      const chunk = await (pending ?? reader.read());
      pending = undefined;
      if (chunk.done || res.destroyed) break;
      if (!res.write(chunk.value)) await drained(res);
    }
  } catch (err) {
    // nothing sent yet: the caller answers 500
    if (!res.headersSent) throw err;
    // Status and part of the body are out; cutting the connection is the only way left to say "incomplete".
    reportError('fetch response body failed mid-stream', err);
    res.destroy();
    return;
  }
  if (res.destroyed) reader.cancel().catch(ignore);
  else res.end();
}

function cancelReader(this: ResponseState): void {
  if (!this.writableFinished) this[kBodyReader]?.cancel().catch(ignore);
}

const NOT_YET = Symbol('not yet');

/** `read`'s result if it settles within a few microtasks (a body already in memory), else NOT_YET; a rejection rejects. */
function readyNow<T>(read: Promise<T>): Promise<T | typeof NOT_YET> {
  return Promise.race([read, Promise.resolve(NOT_YET).then(later).then(later).then(later)]);
}

function later<T>(v: T): T {
  return v;
}

function hasFraming(head: string[]): boolean {
  for (let i = 0; i < head.length; i += 2) if (head[i] === 'content-length' || head[i] === 'transfer-encoding') return true;
  return false;
}

/** Resolves on 'drain', or on 'close' when the client is gone and 'drain' will never come. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function ignore(): void {}
