/**
 * The one contract every interface adapter implements (docs/TSGI.md is its prose form).
 *
 * An adapter knows one way an app can be written (a Node listener, a fetch handler, a Koa
 * app, a Fastify instance) and turns such a value into a plain Node request listener, the
 * only thing a worker's `http.Server` understands. Like gunicorn's `workers/base.py`, the
 * contract is small on purpose: detect, accept, adapt, and optionally close.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppInterface } from '../../protocol.js';

/** The interfaces an export can be served as; `auto` is a request to detect, never a result. */
export type InterfaceName = Exclude<AppInterface, 'auto'>;

/** What a worker's `http.Server` calls for every request. */
export type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The request a mounted app sees: `url` has the mount prefix stripped, `scriptName` holds
 * that prefix (WSGI's SCRIPT_NAME) and `originalUrl` the URL as the client sent it.
 */
export type MountedRequest = IncomingMessage & { scriptName?: string; originalUrl?: string };

/** An export turned into something the worker can serve. */
export interface AdaptedApp {
  readonly listener: Listener;
  /** Releases what the adapter holds (Fastify's onClose hooks, pending fetch `waitUntil` work). */
  close?(): Promise<void>;
}

export interface InterfaceAdapter {
  readonly name: InterfaceName;
  /**
   * Auto-detection: does the value look like this interface? Adapters are asked in the
   * order fastify, koa, node, fetch (see detect.ts), so a check may assume the ones before it said no.
   */
  detect(value: unknown): boolean;
  /**
   * With `interface:` forced: can the value be served this way at all? Looser than
   * {@link detect}: forcing exists to settle what detection cannot, such as a function's arity.
   */
  accepts(value: unknown): boolean;
  /** Builds the listener; may wait for the app to be ready (Fastify's plugins). */
  adapt(value: unknown): Promise<AdaptedApp>;
}

/** True for a non-null object or a function, the things that can carry methods. */
export function isObjectLike(value: unknown): value is Record<PropertyKey, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** A class constructor: callable only with `new`, so never a handler itself. Boot-time check only. */
export function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}
