/**
 * Where an app's code is: `path/to/module[:export]` parsed, and the module path resolved
 * against the app's directory the way users expect from Node and TypeScript tools.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { TsgiError } from '../errors.js';

/** A parsed `path/to/module[:export]` or `path/to/module:factory()`. */
export interface AppRef {
  /** As configured, for messages and logs. */
  readonly ref: string;
  readonly modulePath: string;
  readonly exportName: string;
  /** `:name()`: call the export once per worker and serve what it returns. */
  readonly factory: boolean;
}

// The export part must be an identifier, so a Windows drive ("C:\app.js") is never taken for one.
const EXPORT_SUFFIX = /:([A-Za-z_$][\w$]*)(\(\))?$/;

/** Tried in this order after the path as written, then as `<path>/index<ext>`. */
export const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx'] as const;

export function parseAppRef(ref: string): AppRef {
  const match = EXPORT_SUFFIX.exec(ref);
  if (!match) return { ref, modulePath: ref, exportName: 'default', factory: false };
  return { ref, modulePath: ref.slice(0, match.index), exportName: match[1]!, factory: match[2] !== undefined };
}

/**
 * The absolute file `modulePath` names, relative to `cwd`: as written, then with each of
 * {@link MODULE_EXTENSIONS}, then as a directory's index. A bare name ("app") is a file in
 * `cwd`, as in gunicorn's `app:app`, not a package. Throws TSGI_ERR_APP_BOOT when nothing exists.
 */
export function resolveModuleFile(cwd: string, appRef: AppRef): string {
  const base = path.resolve(cwd, appRef.modulePath);
  const candidates = [base, ...MODULE_EXTENSIONS.map((ext) => base + ext), ...MODULE_EXTENSIONS.map((ext) => path.join(base, `index${ext}`))];
  const found = candidates.find(isFile);
  if (found) return found;
  throw new TsgiError(
    'TSGI_ERR_APP_BOOT',
    `${appRef.ref}: module not found: no file ${base}[${MODULE_EXTENSIONS.join('|')}] nor ${path.join(base, 'index.*')} (cwd ${cwd})`,
  );
}

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}
