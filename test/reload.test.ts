/**
 * Rolling reload with real processes: no request fails under a steady keep-alive load, code that
 * does not boot never replaces code that does, and two reloads asked at once do not overlap.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { get, readyPids, startDaemon } from './helpers/daemon.js';
import { keepAliveLoad } from './helpers/load.js';

const YAML = `
apps:
  web:
    app: ./versioned.mjs
    listen: "127.0.0.1:0"
    workers: 2
`;

function deploy(dir: string, version: string): void {
  const file = join(dir, 'versioned.mjs');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`));
}

describe('rolling reload', () => {
  it('drops no request in 10 reloads under a steady keep-alive load', async () => {
    const d = await startDaemon(YAML, { fixtures: ['daemon/versioned.mjs'] });
    try {
      const url = await d.url('web');
      const load = keepAliveLoad(url, 20);
      const generations: number[] = [];
      for (let i = 2; i <= 11; i++) {
        deploy(d.dir, `v${i}`);
        const r = await d.api<{ app: { generation: number; ready: number } }>('POST', '/v1/apps/web/reload');
        assert.equal(r.status, 200);
        generations.push(r.body.app.generation);
        // keep the load running across the drain of the old workers too
        await d.waitFor('old workers gone', (s) => s.apps[0]!.workers.every((w) => w.generation === r.body.app.generation));
      }
      const result = await load.stop();
      assert.deepEqual(result.errors, []);
      assert.equal(result.failed, 0);
      assert.ok(result.ok > 100, `the load kept going (${result.ok} requests)`);
      assert.deepEqual(generations, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      assert.ok(result.pids.length >= 20, `requests were answered by every generation of workers (${result.pids.length} pids)`);
      assert.match((await get(url)).body, /^v11 /);
    } finally {
      await d.stop();
    }
  });

  it('abandons a reload into code that throws at import; the old code answers everything', async () => {
    const d = await startDaemon(YAML, { fixtures: ['daemon/versioned.mjs'] });
    try {
      const url = await d.url('web');
      const before = readyPids(await d.status(), 'web').sort();
      const file = join(d.dir, 'versioned.mjs');
      const good = readFileSync(file, 'utf8');
      writeFileSync(file, `throw new Error('syntax of the deploy went wrong');\n${good}`);
      const load = keepAliveLoad(url, 10);
      const r = await d.api<{ error: { code: string; message: string } }>('POST', '/v1/apps/web/reload');
      const result = await load.stop();
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'TSGI_ERR_APP_BOOT');
      assert.match(r.body.error.message, /syntax of the deploy went wrong/);
      assert.equal(result.failed, 0);
      assert.deepEqual(result.pids.sort(), before.map(String), 'only the old workers answered');
      const s = await d.app('web');
      assert.equal(s.state, 'running');
      assert.deepEqual(readyPids({ apps: [s] } as never, 'web').sort(), before);
      assert.match(s.last_boot_error ?? '', /syntax of the deploy went wrong/);
      // the next reload tries again, and the fixed code goes live
      writeFileSync(file, good.replace(/const VERSION = '[^']*'/, "const VERSION = 'fixed'"));
      assert.equal((await d.api('POST', '/v1/apps/web/reload')).status, 200);
      assert.match((await get(url)).body, /^fixed /);
    } finally {
      await d.stop();
    }
  });

  it('merges reloads asked for at once instead of running them on top of each other', async () => {
    const d = await startDaemon(YAML, { fixtures: ['daemon/versioned.mjs'] });
    try {
      const gen0 = (await d.app('web')).generation;
      const answers = await Promise.all([1, 2, 3, 4].map(() => d.api<{ app: { generation: number } }>('POST', '/v1/apps/web/reload')));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
      const gens = answers.map((a) => a.body.app.generation);
      // requests that arrive while a run is under way share the one run after it: 4 requests, at most 2 runs
      const last = Math.max(...gens);
      assert.ok(gens.every((g) => g >= gen0 + 1) && last <= gen0 + 2, `generations ${gens} after ${gen0}`);
      const s = await d.waitFor('one generation left', (st) => st.apps[0]!.workers.every((w) => w.generation === last));
      assert.equal(s.apps[0]!.workers.length, 2, 'never more than one rolling set at a time');
    } finally {
      await d.stop();
    }
  });
});
