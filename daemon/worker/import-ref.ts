/**
 * A module named by an app reference (`path/to/module[:export]`), imported as a worker imports
 * an app: TypeScript's loader turned on first for a .ts file; a failure is the app's boot error.
 * Background apps (background.ts) and scheduled jobs (job-module.ts) both start this way.
 */
import { TsgiError } from '../errors.js';
import { importModule } from './import-module.js';
import { parseAppRef, resolveModuleFile } from './resolve-module.js';
import { enableTypeScript, isTypeScriptFile } from './ts-loader.js';

export async function importRef(cwd: string, module: string): Promise<{ ref: ReturnType<typeof parseAppRef>; namespace: Record<string, unknown> }> {
  const ref = parseAppRef(module);
  const file = resolveModuleFile(cwd, ref);
  const fail = (what: string, err: unknown): TsgiError => bootError(ref, what, err);
  if (isTypeScriptFile(file)) await enableTypeScript(cwd).catch((err: unknown) => { throw fail('no TypeScript loader', err); });
  try {
    return { ref, namespace: await importModule(file) };
  } catch (err) {
    throw fail('import failed', err);
  }
}

/** The app's boot error for what failed: `path/to/module: what: why`. */
export function bootError(ref: { ref: string }, what: string, err: unknown): TsgiError {
  return new TsgiError('TSGI_ERR_APP_BOOT', `${ref.ref}: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
