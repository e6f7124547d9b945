/**
 * In a worker that serves a fetch-style app, the global `Request` and `Response` become tsgi's
 * (light-request.ts, light-response.ts), as @hono/node-server does when it serves an app:
 * `new Response('hi')` then keeps its body and init for the adapter to write directly, and
 * `new Request(request)` accepts the light request the app was given. Both are subclasses of
 * undici's by prototype, and `instanceof` holds both ways. Never in the arbiter, never in a
 * worker whose apps are all Node-style. docs/TSGI.md says what an app can observe.
 */
import { TsgiRequest } from './light-request.js';
import { LightResponse } from './light-response.js';

/** Replaces the globals once per process; later calls do nothing. */
export function installFetchGlobals(): void {
  if (globalThis.Response === (LightResponse as unknown)) return;
  // as the platform defines them: writable, configurable, not enumerable
  Object.defineProperty(globalThis, 'Request', { value: TsgiRequest, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(globalThis, 'Response', { value: LightResponse, writable: true, configurable: true, enumerable: false });
}
