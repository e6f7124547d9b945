/**
 * The `koa` interface: a Koa application, served through `app.callback()`, the listener
 * Koa itself hands to `http.createServer` in `app.listen()`.
 */
import type { InterfaceAdapter, Listener } from './contract.js';
import { isObjectLike } from './contract.js';

interface KoaLike {
  callback(): Listener;
}

function isKoaLike(value: unknown): value is KoaLike {
  return (
    isObjectLike(value) &&
    typeof value.callback === 'function' &&
    typeof value.use === 'function' &&
    Array.isArray(value.middleware)
  );
}

export const koaAdapter: InterfaceAdapter = {
  name: 'koa',
  detect: isKoaLike,
  accepts: isKoaLike,
  // Koa's callback catches middleware errors itself (ctx.onerror, then the app's 'error' event).
  adapt: async (value) => ({ listener: (value as KoaLike).callback() }),
};
