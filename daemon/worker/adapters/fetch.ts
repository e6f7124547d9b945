/**
 * The `fetch` interface: `fetch(request) => Response | Promise<Response>`, the WinterCG
 * shape Hono, itty-router and edge runtimes use, either as a plain function or as an
 * object with a `fetch` method. Called Hono-style as `(request, env, ctx)`: `env` holds the
 * raw `{ incoming, outgoing }` pair (as @hono/node-server passes it) and `ctx` is an
 * execution context whose `waitUntil` work is awaited before the worker shuts down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InterfaceAdapter, MountedRequest } from './contract.js';
import { isClass, isObjectLike } from './contract.js';
import { failRequest } from './fail-request.js';
import { installFetchGlobals } from './fetch-globals.js';
import { isResponse, sendResponse, sendWhole } from './fetch-response.js';
import { lightRequest } from './light-request.js';
import { wholeResponse, type WholeResponse } from './light-response.js';
import { isExpressLike } from './node-listener.js';

export { SCRIPT_NAME_HEADER } from './fetch-request.js';

/** The second argument a fetch handler receives. */
export interface FetchEnv {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

/** The third argument a fetch handler receives (Cloudflare's and Hono's `ExecutionContext`). */
export interface ExecutionContext {
  /** Keeps the worker alive at shutdown until `promise` settles. */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for compatibility; there is no origin to pass through to. */
  passThroughOnException(): void;
}

type FetchFunction = (request: Request, env: FetchEnv, ctx: ExecutionContext) => unknown;

function isPlainFunction(value: unknown): value is FetchFunction {
  return typeof value === 'function' && !isClass(value) && !isExpressLike(value);
}

function hasFetchMethod(value: unknown): value is { fetch: FetchFunction } {
  return isObjectLike(value) && typeof value.fetch === 'function';
}

export const fetchAdapter: InterfaceAdapter = {
  name: 'fetch',
  // Node listeners were ruled out before (detect.ts), so a function here takes at most one argument.
  detect: (value) => hasFetchMethod(value) || (isPlainFunction(value) && value.length <= 1),
  accepts: (value) => hasFetchMethod(value) || isPlainFunction(value),
  async adapt(value) {
    // Before the first request: the app's `new Response(...)` must be the light one the adapter writes directly.
    installFetchGlobals();
    // Called with its object as `this`, as `app.fetch(request)` would be.
    const target = hasFetchMethod(value) ? value : undefined;
    const fetch = target ? target.fetch : (value as FetchFunction);
    const pending = new Set<Promise<unknown>>();
    const ctx: ExecutionContext = {
      waitUntil(promise) {
        const settled = Promise.resolve(promise).then(ignore, ignore);
        pending.add(settled);
        void settled.then(() => pending.delete(settled));
      },
      passThroughOnException: ignore,
    };
    return {
      listener: (req, res) => void serve(fetch, target, ctx, req, res),
      close: async () => {
        await Promise.all(pending);
      },
    };
  },
};

/**
 * Not async: a handler that answers at once with a whole body (most do) is written before
 * serve returns, with no promise of tsgi's in between, as @hono/node-server does.
 */
function serve(fetch: FetchFunction, target: unknown, ctx: ExecutionContext, req: MountedRequest, res: ServerResponse): void {
  let request: Request;
  try {
    request = lightRequest(req, res);
  } catch {
    badRequest(res);
    return;
  }
  let result: unknown;
  try {
    result = fetch.call(target, request, { incoming: req, outgoing: res }, ctx);
  } catch (err) {
    failed(req, res, err);
    return;
  }
  if (!isThenable(result)) {
    const whole = wholeResponse(result);
    if (whole !== undefined && !res.headersSent && !res.writableEnded) {
      trySend(whole, req, res);
      return;
    }
  }
  void finish(result, req, res);
}

async function finish(result: unknown, req: MountedRequest, res: ServerResponse): Promise<void> {
  try {
    const response = await result;
    // The handler wrote to env.outgoing itself: what it returned is not for us to send.
    if (res.headersSent || res.writableEnded) return;
    if (!isResponse(response)) throw new TypeError(`fetch handler returned ${describeResult(response)}, not a Response`);
    await sendResponse(response, req.method, res);
  } catch (err) {
    failed(req, res, err);
  }
}

function trySend(whole: WholeResponse, req: MountedRequest, res: ServerResponse): void {
  try {
    sendWhole(whole, req.method, res);
  } catch (err) {
    failed(req, res, err);
  }
}

function failed(req: MountedRequest, res: ServerResponse, err: unknown): void {
  // The client left and the app's reads of the body failed with it: nobody to answer, nothing to report.
  if (res.destroyed && !res.writableFinished) return;
  failRequest(res, `fetch handler failed (${req.method} ${req.url})`, err);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function badRequest(res: ServerResponse): void {
  res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  res.end('Bad Request\n');
}

function describeResult(value: unknown): string {
  // The usual cause: a factory exported as the app, called per request instead of once.
  if (typeof value === 'function') return 'a function (a factory? name it as module:factory())';
  return value === null ? 'null' : typeof value;
}

function ignore(): void {}
