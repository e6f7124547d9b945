/**
 * Workers run tsgi's worker code as one bundled module, dist/daemon/worker/bundle.js (esbuild, in
 * package.json's "build"), not as the thirty-odd modules tsc emits: on Node 20 each module the ES
 * loader reads is a FileHandle, and those made EventEmitter's inline caches generic before the
 * first request (daemon/os/process-ops.ts, BENCHMARKS.md).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, readyPids, ROOT, startDaemon } from './helpers/daemon.js';

const BUNDLE = join(ROOT, 'dist/daemon/worker/bundle.js');

/** Every module specifier the bundle names: static imports and string-literal dynamic ones. */
function specifiers(code: string): string[] {
  const found = [...code.matchAll(/^\s*import\b[^'"]*?\bfrom\s*["']([^"']+)["']/gm), ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm), ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)];
  return found.map((m) => m[1]!);
}

describe('the worker bundle', () => {
  it('holds all of tsgi worker code: it imports node: builtins and packages only, no file of its own', () => {
    const names = specifiers(readFileSync(BUNDLE, 'utf8'));
    assert.ok(names.includes('node:http'), `the bundle's imports were found (${names.join(', ')})`);
    const relative = names.filter((s) => s.startsWith('.') || s.startsWith('/') || s.startsWith('file:'));
    assert.deepEqual(relative, [], 'the worker bundle imports files by path: they would load as separate modules');
  });

  it('was built after the compiled files it bundles (npm run build, not tsc alone)', () => {
    const bundled = statSync(BUNDLE).mtimeMs;
    const dir = join(ROOT, 'dist/daemon/worker');
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js') && f !== 'bundle.js')
      .map((f) => join(dir, f));
    assert.ok(sources.length > 10, 'the compiled worker modules are there');
    const newer = sources.filter((f) => statSync(f).mtimeMs > bundled);
    assert.deepEqual(newer, [], 'compiled after the bundle was made: run `npm run build`, which bundles after tsc');
  });

  it('is what a worker process runs', async () => {
    const d = await startDaemon(`
apps:
  one:
    app: ${join(FIXTURES, 'daemon')}/node-app.mjs
    listen: "127.0.0.1:0"
    workers: 1
`);
    try {
      const [pid] = readyPids(await d.status(), 'one') as [number];
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      assert.equal(argv.at(-1), BUNDLE);
    } finally {
      await d.stop();
    }
  });
});
