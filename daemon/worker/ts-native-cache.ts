/**
 * Node's own type stripping through the compile cache (ts-cache.ts): a synchronous, in-thread
 * load hook (`module.registerHooks`, Node 22.15+ and 23.5+) hands Node the stored JavaScript of a
 * `.ts` module, so amaro (Node's WebAssembly SWC, 14–17 MB a worker) is loaded only by the worker
 * that meets a source for the first time. Stripping keeps every line and column (types become
 * spaces), so stack traces point into the `.ts` file with no source map.
 */
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TsCache } from './ts-cache.js';

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}
type LoadHook = (url: string, context: object, next: (url: string, context?: object) => LoadResult) => LoadResult;
interface SyncHooks {
  registerHooks?: (hooks: { load: LoadHook }) => unknown;
  stripTypeScriptTypes?: (code: string, options?: { mode?: 'strip' | 'transform'; sourceMap?: boolean; sourceUrl?: string }) => string;
}

const TYPESCRIPT: Readonly<Record<string, string>> = { 'module-typescript': 'module', 'commonjs-typescript': 'commonjs' };

/** True when this Node has what the cache needs: in-thread hooks and a stripping function. */
export function nativeCacheAvailable(): boolean {
  const hooks = module as SyncHooks;
  return typeof hooks.registerHooks === 'function' && typeof hooks.stripTypeScriptTypes === 'function';
}

/** Serves `.ts` modules through `cache`; false (nothing registered) on a Node without sync hooks. */
export function registerNativeCache(cache: TsCache): boolean {
  const { registerHooks, stripTypeScriptTypes } = module as SyncHooks;
  if (registerHooks === undefined || stripTypeScriptTypes === undefined) return false;
  // --experimental-transform-types: enums and namespaces are rewritten, lines move, a map is kept inline
  const transform = (process.features as { typescript?: unknown }).typescript === 'transform';
  const transpiler = `node-${transform ? 'transform' : 'strip'} ${process.version}`;
  registerHooks({
    load(url, context, next) {
      const loaded = next(url, context);
      const format = TYPESCRIPT[loaded.format ?? ''];
      if (format === undefined || loaded.source == null || !url.startsWith('file:')) return loaded;
      const file = fileURLToPath(url);
      // Node refuses to strip packages' TypeScript; that refusal stays Node's to make
      if (file.includes('/node_modules/')) return loaded;
      const source = typeof loaded.source === 'string' ? loaded.source : Buffer.from(loaded.source as ArrayBuffer).toString('utf8');
      const code = cache.get(transpiler, file, source, () =>
        quietly(() => stripTypeScriptTypes(source, transform ? { mode: 'transform', sourceMap: true, sourceUrl: url } : { mode: 'strip' })),
      );
      return { format, source: code, shortCircuit: true };
    },
  });
  return true;
}

/**
 * Runs `fn` without the ExperimentalWarning `stripTypeScriptTypes` prints once a process: the
 * worker's log shows what Node's own stripping shows (nothing on 22.18+), hit or miss.
 */
function quietly<T>(fn: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('stripTypeScriptTypes')) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return fn();
  } finally {
    process.emitWarning = emit;
  }
}
