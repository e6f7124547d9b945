/**
 * For `tsgid --check`: each app with a TypeScript entry has a loader to run it (tsx, @swc/core
 * for emitDecoratorMetadata, or Node's own type stripping), else the package to install is named
 * now rather than at the first worker's boot.
 */
import type { Config } from './index.js';
import { TsgiError } from '../errors.js';
import { parseAppRef, resolveModuleFile } from '../worker/resolve-module.js';
import { isTypeScriptFile, planTypeScript } from '../worker/ts-loader.js';

export function checkTypeScript(config: Config): void {
  for (const app of Object.values(config.apps)) {
    const refs = app.app !== undefined ? [app.app] : Object.values(app.mounts ?? {});
    const ts = refs.some((ref) => {
      try {
        return isTypeScriptFile(resolveModuleFile(app.cwd, parseAppRef(ref)));
      } catch {
        return false; // a missing module is the config check's to report
      }
    });
    if (!ts) continue;
    try {
      planTypeScript(app.cwd);
    } catch (err) {
      throw new TsgiError('TSGI_ERR_APP_BOOT', `apps.${app.name}.app: a TypeScript entry, but ${(err as Error).message}`, { cause: err });
    }
  }
}
