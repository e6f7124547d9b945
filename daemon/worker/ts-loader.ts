/**
 * TypeScript without a build step. Chosen once per process, lazily (a plain JavaScript app
 * pays nothing), from what the app has:
 * - `swc`: its tsconfig sets `emitDecoratorMetadata` (NestJS, TypeORM, class-validator): esbuild
 *   (tsx) and Node's type stripping drop the metadata those libraries read, so SWC compiles it;
 * - `tsx`: installed (the app's or tsgi's own node_modules): full TypeScript, tsconfig paths;
 * - `native`: neither, on a Node that strips types by itself (22.18+, 23.6+): erasable syntax
 *   only, imports written with their `.ts` extension.
 * tsx and @swc/core are optional peer dependencies: tsgi's own install stays small.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TsgiError } from '../errors.js';
import { registerSwc } from './swc-register.js';
import { cacheDirOf, TsCache } from './ts-cache.js';
import { registerNativeCache } from './ts-native-cache.js';

/** Extensions that need a TypeScript loader. */
export const TS_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts', '.tsx']);

export type TypeScriptMode = 'swc' | 'tsx' | 'native';

let registering: Promise<TypeScriptMode> | undefined;

export function isTypeScriptFile(file: string): boolean {
  return TS_EXTENSIONS.has(path.extname(file));
}

/** True once {@link enableTypeScript} was called in this process. */
export function typeScriptEnabled(): boolean {
  return registering !== undefined;
}

/**
 * Registers the loader for the app in `cwd` (its `tsconfig.json`, its node_modules). Rejects
 * with TSGI_ERR_APP_BOOT naming the package to install when none fits.
 */
export function enableTypeScript(cwd: string): Promise<TypeScriptMode> {
  registering ??= register(cwd);
  return registering;
}

async function register(cwd: string): Promise<TypeScriptMode> {
  const plan = planTypeScript(cwd);
  if (plan.mode === 'native') registerNativeCache(new TsCache(cacheDirOf(cwd)));
  if (plan.mode === 'swc') registerSwc(plan.file!, cwd);
  if (plan.mode === 'tsx') await registerTsx(path.dirname(plan.file!), plan.tsconfig);
  return plan.mode;
}

export interface TypeScriptPlan {
  mode: TypeScriptMode;
  /** @swc/core's entry, or tsx's package.json */
  file?: string;
  tsconfig?: string;
}

/**
 * Which loader an app in `cwd` gets, without registering it (tsgid --check asks too). Throws
 * TSGI_ERR_APP_BOOT naming the package to install when none fits.
 */
export function planTypeScript(cwd: string): TypeScriptPlan {
  const tsconfigFile = path.join(cwd, 'tsconfig.json');
  const tsconfig = existsSync(tsconfigFile) ? tsconfigFile : undefined;
  if (tsconfig !== undefined && emitsDecoratorMetadata(tsconfig)) {
    const swc = findPackage('@swc/core', cwd);
    if (swc === undefined) {
      throw new TsgiError(
        'TSGI_ERR_APP_BOOT',
        `${tsconfig} sets emitDecoratorMetadata, which tsx and Node's type stripping cannot honour (NestJS injection would break): npm install @swc/core`,
      );
    }
    return { mode: 'swc', file: swc, tsconfig };
  }
  const strips = Boolean((process.features as { typescript?: unknown }).typescript);
  // An app written for Node's type stripping says so in its tsconfig: it then gets it even with
  // tsx installed, for a worker ~12 MB smaller that boots faster on Node 22 (BENCHMARKS.md).
  if (strips && tsconfig !== undefined && writtenForStripping(tsconfig)) return { mode: 'native', tsconfig };
  const tsx = findPackage('tsx/package.json', cwd);
  if (tsx !== undefined) return { mode: 'tsx', file: tsx, tsconfig };
  if (strips) return { mode: 'native', tsconfig };
  throw new TsgiError('TSGI_ERR_APP_BOOT', `Node ${process.version} cannot run TypeScript by itself: npm install tsx (or run Node 22.18+ with imports written as ./file.ts)`);
}

/**
 * The tsconfig checks what Node's type stripping needs (Node's and TypeScript 5.8's recommended
 * settings), so that tsc itself refuses what Node could not run: `erasableSyntaxOnly` (no enum,
 * namespace or parameter property), `verbatimModuleSyntax` (type-only imports marked `type`),
 * `rewriteRelativeImportExtensions` or `allowImportingTsExtensions` with `module` or
 * `moduleResolution` node16/nodenext (relative imports written as `./file.ts`), and neither
 * `paths` nor `jsx`, which Node does not read. Looked for in the tsconfig and the local ones it extends.
 */
export function writtenForStripping(file: string): boolean {
  const texts = tsconfigTexts(file);
  if (texts.some((text) => /"(paths|jsx)"\s*:/.test(text))) return false;
  const nodeModules = texts.some((text) => /"(module|moduleResolution)"\s*:\s*"node(16|next)"/i.test(text));
  return (
    nodeModules &&
    tsconfigFlag(file, 'erasableSyntaxOnly') &&
    tsconfigFlag(file, 'verbatimModuleSyntax') &&
    (tsconfigFlag(file, 'rewriteRelativeImportExtensions') || tsconfigFlag(file, 'allowImportingTsExtensions'))
  );
}

/**
 * `"emitDecoratorMetadata": true` in the tsconfig or the local one it extends. A text test, not
 * a parse: tsconfig is JSON with comments, and a false positive only means SWC compiles the app.
 */
export function emitsDecoratorMetadata(file: string): boolean {
  return tsconfigFlag(file, 'emitDecoratorMetadata');
}

/** A boolean compiler option set to true, in `file` or else the nearest local tsconfig it extends. */
function tsconfigFlag(file: string, flag: string): boolean {
  const re = new RegExp(`"${flag}"\\s*:\\s*(true|false)`);
  for (const text of tsconfigTexts(file)) {
    const own = re.exec(text);
    if (own) return own[1] === 'true';
  }
  return false;
}

/** `file` and the local tsconfigs it extends, nearest first, without their line comments. */
function tsconfigTexts(file: string): string[] {
  const texts: string[] = [];
  for (let next: string | undefined = file; next !== undefined && texts.length < 6; ) {
    let text: string;
    try {
      text = readFileSync(next, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    } catch {
      break;
    }
    texts.push(text);
    const parent = /"extends"\s*:\s*"(\.{1,2}\/[^"]+)"/.exec(text)?.[1];
    const resolved: string | undefined = parent === undefined ? undefined : path.resolve(path.dirname(next), parent);
    next = resolved === undefined ? undefined : resolved.endsWith('.json') ? resolved : `${resolved}.json`;
  }
  return texts;
}

/** The entry file of `specifier` as the app would resolve it, else as tsgi would; undefined when neither has it. */
function findPackage(specifier: string, cwd: string): string | undefined {
  for (const from of [path.join(cwd, 'package.json'), fileURLToPath(import.meta.url)]) {
    try {
      return createRequire(from).resolve(specifier);
    } catch {
      // next place
    }
  }
  return undefined;
}

/** The ES-module file a package's `exports` gives `subpath` under the `import` condition. */
function importTarget(dir: string, subpath: string): string {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(dir, pkg.exports[subpath]!.import.default)).href;
}

/**
 * tsx's ESM hooks (for `import()`) and CommonJS hooks (for `require()` of `.ts` from CommonJS
 * user code), with `<cwd>/tsconfig.json` when there is one, for paths and JSX settings.
 */
async function registerTsx(dir: string, tsconfig: string | undefined): Promise<void> {
  const [esm, cjs] = (await Promise.all([import(importTarget(dir, './esm/api')), import(importTarget(dir, './cjs/api'))])) as [
    typeof import('tsx/esm/api'),
    typeof import('tsx/cjs/api'),
  ];
  esm.register(tsconfig ? { tsconfig } : {});
  // tsx's CommonJS side reads its tsconfig from the environment only, and only while registering.
  const previous = process.env.TSX_TSCONFIG_PATH;
  if (tsconfig) process.env.TSX_TSCONFIG_PATH = tsconfig;
  try {
    cjs.register();
  } finally {
    if (previous === undefined) delete process.env.TSX_TSCONFIG_PATH;
    else process.env.TSX_TSCONFIG_PATH = previous;
  }
}
