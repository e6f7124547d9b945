/**
 * A build's dist/ copied into a scratch folder for a bench to patch (bench/metrics-off-build.ts,
 * bench/instructions.ts): the build itself is never edited, and the copy differs from it by the
 * patches alone.
 */
import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, scratch } from './lib.js';

/** Copies `root`'s dist/ (this build's by default); returns the copy's folder (its tsgid is `<folder>/dist/daemon/main.js`). */
export function copyBuild(name: string, root = ROOT): string {
  const dir = scratch(name);
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  // "type": "module", and the version tsgid reads
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * Replaces `from` with `to` in `file`, where `from` must stand exactly once: when the build no
 * longer has the pattern, this throws (naming `bench`, the script to update) rather than let a
 * bench measure a copy the patch did not reach.
 */
export function patchOnce(file: string, from: string, to: string, bench: string): void {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(from);
  if (at === -1 || text.includes(from, at + 1)) {
    throw new Error(`${file}: expected ${JSON.stringify(from)} exactly once, found it ${at === -1 ? 'nowhere' : 'more than once'}; the build has changed, update ${bench}`);
  }
  writeFileSync(file, text.slice(0, at) + to + text.slice(at + from.length));
}
