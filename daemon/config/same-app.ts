/**
 * Whether two parsed apps are the same, so a live reload leaves an unchanged app running.
 */
import type { AppConfig } from './settings.js';

export function sameAppConfig(a: AppConfig, b: AppConfig): boolean {
  return deepEqual(a, b);
}

/** Plain-data equality: key order does not matter, a key set to undefined equals a missing key. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = definedKeys(a);
  const kb = definedKeys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function definedKeys(o: object): string[] {
  return Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
}
