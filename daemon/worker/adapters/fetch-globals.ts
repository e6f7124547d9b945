/**
 * In a worker that serves a fetch-style app, the global `Request` and `Response` become tsgi's
 * (light-request.ts, light-response.ts), as @hono/node-server does when it serves an app:
 * `new Response('hi')` then keeps its body and init for the adapter to write directly, and
 * `new Request(request)` accepts the light request the app was given. Both are subclasses of
 * undici's by prototype, and `instanceof` holds both ways. Never in the arbiter, never in a
 * worker whose apps are all Node-style. docs/TSGI.md says what an app can observe.
 */
import { TsgiRequest, undiciTakesLight, unwrapRequest } from './light-request.js';
import { LightResponse } from './light-response.js';

/** Replaces the globals once per process; later calls do nothing. */
export function installFetchGlobals(): void {
  if (globalThis.Response === (LightResponse as unknown)) return;
  // as the platform defines them: writable, configurable, not enumerable
  Object.defineProperty(globalThis, 'Request', { value: TsgiRequest, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(globalThis, 'Response', { value: LightResponse, writable: true, configurable: true, enumerable: false });
  // Where undici cannot read a light request itself, fetch(request) is given undici's one.
  if (!undiciTakesLight()) {
    const undiciFetch = globalThis.fetch;
    Object.defineProperty(globalThis, 'fetch', {
      value: function fetch(input: RequestInfo | URL, init?: RequestInit) {
        return undiciFetch(unwrapRequest(input) as RequestInfo | URL, init);
      },
      writable: true,
      configurable: true,
      enumerable: true,
    });
  }
}
