/**
 * tsgid's runtime files (pid file, admin token, admin socket) live in a folder only its user can
 * enter: 0700 when tsgid creates it, and `.tsgi/` (tsgi's own default folder) is tightened to
 * 0700 even when an older tsgid made it 0755. A folder the user chose elsewhere is left as it is.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { basename } from 'node:path';

export const RUNTIME_DIR_NAME = '.tsgi';

export function runtimeDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (basename(dir) === RUNTIME_DIR_NAME) chmodSync(dir, 0o700);
}
