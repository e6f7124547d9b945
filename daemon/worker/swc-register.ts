/**
 * TypeScript compiled by SWC with decorator metadata: a `require` hook for CommonJS code (a
 * NestJS project's default) and ESM hooks (swc-hooks.ts) for ES modules and for `import()` of a
 * CommonJS `.ts` entry, which they hand back to the `require` hook. Both go through the compile
 * cache (ts-cache.ts): @swc/core's native binding is loaded only for a source no worker has
 * compiled yet. Entries keep SWC's inline source map, as the compiled code always had.
 */
import { readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { swcCompiler } from './swc-options.js';
import { cacheDirOf, TsCache } from './ts-cache.js';

interface CjsModule {
  _compile(code: string, file: string): void;
}

/** `swcFile`: the resolved entry of @swc/core; `cwd`: the app's folder, where the cache lives. */
export function registerSwc(swcFile: string, cwd: string): void {
  const cacheDir = cacheDirOf(cwd);
  const compile = swcCompiler(swcFile, new TsCache(cacheDir), 'commonjs');
  const extensions = createRequire(import.meta.url).extensions as unknown as Record<string, (module: CjsModule, file: string) => void>;
  for (const ext of ['.ts', '.cts', '.tsx']) {
    extensions[ext] = (module, file) => module._compile(compile(file, readFileSync(file, 'utf8')), file);
  }
  // swc-hooks.js sits next to this module, in dist/daemon/worker/, whether this runs from bundle.js or not
  register(new URL('./swc-hooks.js', import.meta.url), { data: { swcFile, cacheDir } });
}
