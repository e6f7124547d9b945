/**
 * TypeScript compiled by SWC with decorator metadata: a `require` hook for CommonJS code (a
 * NestJS project's default) and ESM hooks (swc-hooks.ts) for ES modules and for `import()` of a
 * CommonJS `.ts` entry, which they hand back to the `require` hook.
 */
import { readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { swcOptions } from './swc-options.js';

interface Swc {
  transformSync(code: string, options: Record<string, unknown>): { code: string };
}
interface CjsModule {
  _compile(code: string, file: string): void;
}

/** `swcFile`: the resolved entry of @swc/core. */
export function registerSwc(swcFile: string): void {
  const swc = createRequire(import.meta.url)(swcFile) as Swc;
  const extensions = createRequire(import.meta.url).extensions as unknown as Record<string, (module: CjsModule, file: string) => void>;
  for (const ext of ['.ts', '.cts', '.tsx']) {
    extensions[ext] = (module, file) => module._compile(swc.transformSync(readFileSync(file, 'utf8'), swcOptions(file, 'commonjs')).code, file);
  }
  // swc-hooks.js sits next to this module, in dist/daemon/worker/, whether this runs from bundle.js or not
  register(new URL('./swc-hooks.js', import.meta.url), { data: { swcFile } });
}
