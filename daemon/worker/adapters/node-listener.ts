/**
 * The `node` interface: the export already is a Node request listener, `(req, res) => void`,
 * such as an Express or Connect app or a plain `node:http` handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InterfaceAdapter, Listener } from './contract.js';
import { isClass, isObjectLike } from './contract.js';
import { failRequest } from './fail-request.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Express and Connect apps: `app(req, res, next)` with `handle` and `use` methods. */
export function isExpressLike(value: unknown): boolean {
  const app = value as { handle?: unknown; use?: unknown };
  return typeof value === 'function' && typeof app.handle === 'function' && typeof app.use === 'function';
}

export const nodeListenerAdapter: InterfaceAdapter = {
  name: 'node',
  // A fetch handler takes one argument, a listener two, so arity is what tells them apart.
  detect: (value) => typeof value === 'function' && !isClass(value) && (value.length >= 2 || isExpressLike(value)),
  accepts: (value) => typeof value === 'function' && !isClass(value),
  adapt: async (value) => ({ listener: guard(value as NodeHandler) }),
};

/**
 * Wraps the handler so that a synchronous throw, or the rejection of an `async (req, res)`
 * handler, becomes a 500 for that request rather than an uncaught error that ends the worker.
 */
function guard(handler: NodeHandler): Listener {
  return function tsgiNodeListener(req, res) {
    let returned: unknown;
    try {
      returned = handler(req, res);
    } catch (err) {
      failRequest(res, 'request listener threw', err);
      return;
    }
    // Only async handlers pay for the rejection callback; Express and Connect return undefined.
    if (isThenable(returned)) {
      returned.then(undefined, (err: unknown) => failRequest(res, 'request listener rejected', err));
    }
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isObjectLike(value) && typeof value.then === 'function';
}
