/**
 * The module files an app names, found the way its workers will find them
 * (daemon/worker/resolve-module.ts, reused so the two cannot disagree). The module string goes
 * to the worker as written; finding the file here makes a typo fail at load time, with its line.
 */
import { isTsgiError } from '../errors.js';
import { parseAppRef, resolveModuleFile, type AppRef } from '../worker/resolve-module.js';
import type { Path } from './issues.js';

export { MODULE_EXTENSIONS, parseAppRef, type AppRef } from '../worker/resolve-module.js';

/** `ref` is the string as written (`./x/app.ts:make()`), `file` the absolute file when it exists. */
export interface ModuleRef extends AppRef {
  /** Where the string sits in the app's settings: `['app']` or `['mounts', '/api']`. */
  readonly key: Path;
  readonly file?: string;
}

export function resolveModule(module: string, cwd: string, key: Path = []): ModuleRef {
  const ref = parseAppRef(module);
  try {
    return { ...ref, key, file: resolveModuleFile(cwd, ref) };
  } catch (err) {
    if (!isTsgiError(err)) throw err;
    return { ...ref, key };
  }
}

/** Every module an app names, with its file; for the load-time check and for file watchers. */
export function appModules(app: { app?: string; mounts?: Record<string, string>; cwd: string }): ModuleRef[] {
  const refs: ModuleRef[] = [];
  if (app.app !== undefined) refs.push(resolveModule(app.app, app.cwd, ['app']));
  for (const [prefix, module] of Object.entries(app.mounts ?? {})) refs.push(resolveModule(module, app.cwd, ['mounts', prefix]));
  return refs;
}
