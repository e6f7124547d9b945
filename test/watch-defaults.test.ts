/**
 * `watch: true` watches source files only: an upload, a cache file or a log landing in the
 * app's folder does not reload it; a saved .mjs does, once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { delay, get, startDaemon, type Daemon } from './helpers/daemon.js';

function deploy(dir: string, version: string): void {
  const file = join(dir, 'versioned.mjs');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`));
}

async function until(d: Daemon, url: string, prefix: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = await get(url).catch(() => undefined);
    if (r?.body.startsWith(prefix)) return (await d.waitFor('reload settled', (s) => s.apps[0]!.state === 'running')).apps[0]!.generation;
    await delay(30);
  }
  throw new Error(`${prefix} never answered\n${d.output()}`);
}

describe('watch: true', { timeout: 90_000 }, () => {
  it('ignores uploads, caches and non-source files; reloads once on a saved source file', async () => {
    const d = await startDaemon(`apps:\n  web:\n    app: ./versioned.mjs\n    listen: "127.0.0.1:0"\n    watch: true\n`, { fixtures: ['daemon/versioned.mjs'] });
    try {
      const url = await d.url('web');
      const g0 = (await d.app('web')).generation;
      mkdirSync(join(d.dir, 'uploads/2026'), { recursive: true });
      mkdirSync(join(d.dir, '.cache'), { recursive: true });
      writeFileSync(join(d.dir, 'uploads/2026/photo.jpg'), 'jpeg');
      writeFileSync(join(d.dir, 'uploads/2026/evil.js'), 'module.exports = 1;\n');
      writeFileSync(join(d.dir, '.cache/x.json'), '{}');
      writeFileSync(join(d.dir, 'notes.md'), '# notes');
      // spacer, not an assertion: past the 300ms debounce, so a reload they caused would be a
      // reload of its own, before the save below (the generation would move by 2)
      await delay(1500);
      deploy(d.dir, 'saved');
      assert.equal(await until(d, url, 'saved '), g0 + 1, 'the upload, cache and notes reloaded nothing; the save reloaded once');
    } finally {
      await d.stop();
    }
  });
});
