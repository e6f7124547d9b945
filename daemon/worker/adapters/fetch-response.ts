/**
 * WHATWG `Response` → ServerResponse, for the fetch adapter: status, headers (each
 * `set-cookie` on its own line), then the body streamed with backpressure.
 */
import type { ServerResponse } from 'node:http';
import { reportError } from './fail-request.js';

/** Where the body reader is kept, so the adapter can cancel it when the client goes away. */
export const kBodyReader = Symbol('tsgi.fetch.bodyReader');

export type ResponseState = ServerResponse & { [kBodyReader]?: ReadableStreamDefaultReader<Uint8Array> };

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
  const head: string[] = [];
  response.headers.forEach(pushHeader, head);
  for (const cookie of response.headers.getSetCookie()) head.push('set-cookie', cookie);
  const status = response.status;
  if (response.statusText) res.writeHead(status, response.statusText, head);
  else res.writeHead(status, head);

  const body = response.body;
  if (body === null) {
    res.end();
  } else if (method === 'HEAD' || status === 204 || status === 304) {
    res.end();
    // Nobody will read it: let the app's stream know, so it can stop producing.
    body.cancel().catch(ignore);
  } else {
    await pipeBody(body, res);
  }
}

// Headers#forEach with a `this` argument: no closure per response.
function pushHeader(this: string[], value: string, name: string): void {
  // Iteration yields each set-cookie separately, but getSetCookie() is the documented way.
  if (name !== 'set-cookie') this.push(name, value);
}

async function pipeBody(body: ReadableStream<Uint8Array>, res: ResponseState): Promise<void> {
  const reader = body.getReader();
  res[kBodyReader] = reader;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done || res.destroyed) break;
      if (!res.write(chunk.value)) await drained(res);
    }
  } catch (err) {
    // Status and part of the body are out; cutting the connection is the only way left to say "incomplete".
    reportError('fetch response body failed mid-stream', err);
    res.destroy();
    return;
  }
  if (res.destroyed) reader.cancel().catch(ignore);
  else res.end();
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
