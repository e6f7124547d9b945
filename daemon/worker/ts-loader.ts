/**
 * TypeScript without a build step, through tsx. Registered lazily and at most once per
 * process: tsx adds ~300 ms to boot, which a plain JavaScript app must not pay.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Extensions that need tsx. */
export const TS_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts', '.tsx']);

let registering: Promise<void> | undefined;

export function isTypeScriptFile(file: string): boolean {
  return TS_EXTENSIONS.has(path.extname(file));
}

/** True once {@link enableTypeScript} was called in this process. */
export function typeScriptEnabled(): boolean {
  return registering !== undefined;
}

/**
 * Registers tsx's ESM hooks (for `import()`) and CommonJS hooks (for `require()` of `.ts`
 * from CommonJS user code). Uses `<cwd>/tsconfig.json` when there is one, for paths and JSX settings.
 */
export function enableTypeScript(cwd: string): Promise<void> {
  registering ??= register(cwd);
  return registering;
}

async function register(cwd: string): Promise<void> {
  const tsconfigFile = path.join(cwd, 'tsconfig.json');
  const tsconfig = existsSync(tsconfigFile) ? tsconfigFile : undefined;
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
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
