/**
 * An app module's exports, the same shape whatever kind of module it is: an ES module's
 * namespace, where a CommonJS module's `module.exports` is `default`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Imports `file` (absolute). `.cts` goes through `require`, as tsx's own CLI would run it:
 * on Node 20, a CommonJS module loaded by `import()` gets a `require` that cannot load an
 * ES-syntax `.ts` file, which tsx's CommonJS hooks can.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const loaded =
    path.extname(file) === '.cts'
      ? asNamespace(createRequire(file)(file))
      : ((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  return unwrapEsModule(loaded);
}

/** What `import()` would give for a CommonJS module: `default` plus its own enumerable keys. */
function asNamespace(exports: unknown): Record<string, unknown> {
  const named = typeof exports === 'object' || typeof exports === 'function' ? { ...(exports as object) } : {};
  return { ...named, default: exports };
}

/**
 * A CommonJS module compiled from ES syntax (TypeScript in a package without
 * `"type": "module"`, Babel) marks `module.exports.__esModule`: its exports object is then
 * the real namespace, so `export default app` is found as `default`, not as `default.default`.
 */
function unwrapEsModule(namespace: Record<string, unknown>): Record<string, unknown> {
  const exports = namespace.default as { __esModule?: unknown } | null | undefined;
  const compiled = (typeof exports === 'object' || typeof exports === 'function') && exports !== null && exports.__esModule === true;
  return compiled ? (exports as Record<string, unknown>) : namespace;
}
