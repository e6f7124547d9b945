/**
 * Chooses the adapter for an export: the forced `interface:` if it fits, otherwise the
 * first adapter that recognises the value, asked from the most specific shape to the least.
 */
import { Server } from 'node:http';
import type { AppInterface } from '../../protocol.js';
import { TsgiError } from '../../errors.js';
import type { InterfaceAdapter, InterfaceName } from './contract.js';
import { isClass } from './contract.js';
import { fastifyAdapter } from './fastify.js';
import { fetchAdapter } from './fetch.js';
import { koaAdapter } from './koa.js';
import { nodeListenerAdapter } from './node-listener.js';

/**
 * Detection order. Fastify and Koa have unmistakable methods; an Express app is a function
 * of arity 3; what is left is a fetch handler (an object with `fetch`, or a one-argument function).
 */
export const ADAPTERS: readonly InterfaceAdapter[] = [fastifyAdapter, koaAdapter, nodeListenerAdapter, fetchAdapter];

/** The interface `value` looks like, or undefined when it fits none. */
export function detectInterface(value: unknown): InterfaceName | undefined {
  return ADAPTERS.find((adapter) => adapter.detect(value))?.name;
}

/**
 * The adapter to serve `value` with. Throws TSGI_ERR_APP_INTERFACE naming `ref` (the app's
 * `module[:export]`) and what was found when the value fits nothing, or not the forced interface.
 */
export function chooseAdapter(value: unknown, forced: AppInterface, ref: string): InterfaceAdapter {
  if (forced !== 'auto') {
    const adapter = ADAPTERS.find((candidate) => candidate.name === forced);
    if (adapter?.accepts(value)) return adapter;
    const looksLike = detectInterface(value);
    const hint = looksLike ? `; it looks like a ${looksLike} app` : '';
    throw new TsgiError(
      'TSGI_ERR_APP_INTERFACE',
      `${ref}: interface '${forced}' was configured, but the export is ${describeValue(value)}${hint}`,
    );
  }
  const adapter = ADAPTERS.find((candidate) => candidate.detect(value));
  if (adapter) return adapter;
  throw new TsgiError(
    'TSGI_ERR_APP_INTERFACE',
    `${ref}: the export is ${describeValue(value)}, which is none of: a node listener (req, res), ` +
      'a fetch handler (request) => Response or { fetch }, a Koa app, a Fastify instance',
  );
}

const MAX_KEYS = 12;
// Every function has these; listing them would hide the keys that tell apps apart.
const FUNCTION_OWN = new Set(['length', 'name', 'prototype', 'arguments', 'caller']);

/** "a function of arity 0", "an object with keys: a, b" — what an error message should show. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (isClass(value)) return 'a class (export an instance, or a factory as module:create())';
  if (value instanceof Server) return 'an http.Server (export its request listener, the app: tsgi runs the server)';
  if (typeof value === 'function') {
    const keys = keysOf(value);
    return `a function of arity ${value.length}${keys ? ` with keys: ${keys}` : ''}`;
  }
  if (typeof value !== 'object') return `${typeof value} ${JSON.stringify(value) ?? ''}`.trim();
  const keys = keysOf(value);
  return keys ? `an object with keys: ${keys}` : 'an empty object';
}

/**
 * Own keys and prototype methods (a class instance keeps its API on the prototype), methods
 * first: they are what tells one kind of app from another.
 */
function keysOf(value: object): string {
  const methods = new Set<string>();
  const fields = new Set<string>();
  for (let o: object | null = value; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || FUNCTION_OWN.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(o, name);
      (typeof descriptor?.value === 'function' ? methods : fields).add(name);
    }
  }
  const list = [...methods, ...[...fields].filter((name) => !methods.has(name))];
  return list.length > MAX_KEYS ? `${list.slice(0, MAX_KEYS).join(', ')}, ... (${list.length} in all)` : list.join(', ');
}
