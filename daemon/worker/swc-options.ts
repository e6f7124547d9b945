/** The SWC options that keep what TypeScript's `emitDecoratorMetadata` keeps; shared by the CommonJS and ESM hooks. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sha256, type TsCache } from './ts-cache.js';

export function swcOptions(file: string, module: 'commonjs' | 'es6'): Record<string, unknown> {
  const ext = path.extname(file);
  return {
    filename: file,
    swcrc: false,
    configFile: false,
    sourceMaps: 'inline',
    module: { type: module },
    jsc: {
      target: 'es2022',
      keepClassNames: true,
      parser: { syntax: 'typescript', tsx: ext === '.tsx', decorators: true },
      // what `experimentalDecorators` + `emitDecoratorMetadata` mean to tsc (and what Nest's own SWC builder sets)
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
  };
}

interface Swc {
  transformSync(code: string, options: Record<string, unknown>): { code: string };
}

/**
 * `(file, source) => JavaScript` through `cache`; @swc/core is required on the first miss only.
 * The cache key names SWC's version and these options, so an upgrade of either is a miss.
 */
export function swcCompiler(swcFile: string, cache: TsCache, module: 'commonjs' | 'es6'): (file: string, source: string) => string {
  let swc: Swc | undefined;
  const options = sha256(JSON.stringify(swcOptions('x.ts', module))).slice(0, 16);
  const transpiler = `swc ${packageVersion(swcFile)} ${options}`;
  return (file, source) =>
    cache.get(transpiler, file, source, () => {
      swc ??= createRequire(import.meta.url)(swcFile) as Swc;
      return swc.transformSync(source, swcOptions(file, module)).code;
    });
}

/** The version in the package.json nearest above `entry` (@swc/core's own), read without loading the package. */
function packageVersion(entry: string): string {
  for (let dir = path.dirname(entry); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      // next folder up
    }
  }
  return 'unknown';
}
