/**
 * Node module hooks (`module.register`, run off the main thread) for TypeScript through SWC:
 * ES-module `.ts` files are compiled here; CommonJS ones are left to the `require` hook of
 * swc-register.ts. Resolution maps what tsc accepts and Node does not: `./x.js` and `./x`
 * naming `./x.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { swcCompiler } from './swc-options.js';
import { TsCache } from './ts-cache.js';

type Next<A, R> = (a: string, context: A) => Promise<R>;
interface LoadResult {
  format?: string | null;
  source?: string | Buffer | null;
  shortCircuit?: boolean;
}

let compile: (file: string, source: string) => string;

/** Runs in the hooks thread: its own cache handle on the same folder, SWC loaded on a miss only. */
export function initialize(data: { swcFile: string; cacheDir: string }): void {
  compile = swcCompiler(data.swcFile, new TsCache(data.cacheDir), 'es6');
}

const TS = /\.(ts|mts|cts|tsx)$/;

export async function resolve(specifier: string, context: { parentURL?: string }, next: Next<unknown, { url: string }>): Promise<{ url: string }> {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (!relative || !context.parentURL?.startsWith('file:') || !TS.test(context.parentURL)) throw err;
    const base = specifier.replace(/\.(m|c)?js$/, '');
    for (const candidate of [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) {
      try {
        return await next(candidate, context);
      } catch {
        // next candidate
      }
    }
    throw err;
  }
}

export async function load(url: string, context: unknown, next: Next<unknown, LoadResult>): Promise<LoadResult> {
  if (!url.startsWith('file:') || !TS.test(new URL(url).pathname)) return next(url, context);
  const file = fileURLToPath(url);
  if (formatOf(file) === 'commonjs') {
    // no source: Node loads it with its CommonJS loader, through the require hook
    return { format: 'commonjs', source: null, shortCircuit: true };
  }
  return { format: 'module', source: compile(file, readFileSync(file, 'utf8')), shortCircuit: true };
}

/** `.mts` is ESM, `.cts` CommonJS, `.ts` follows the nearest package.json's `type`. */
function formatOf(file: string): 'module' | 'commonjs' {
  const ext = path.extname(file);
  if (ext === '.mts') return 'module';
  if (ext === '.cts') return 'commonjs';
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const type = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown }).type;
      return type === 'module' ? 'module' : 'commonjs';
    } catch {
      if (path.dirname(dir) === dir) return 'commonjs';
    }
  }
}
