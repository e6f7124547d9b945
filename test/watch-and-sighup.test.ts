/**
 * Hot reload on file change (chokidar) and live config reload on SIGHUP, with real processes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { globToRegExp } from '../daemon/arbiter/watch.js';
import { FIXTURES, get, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { waitFor } from './helpers/wait.js';
import { untilOutput } from './helpers/output.js';

const D = join(FIXTURES, 'daemon');

function deploy(dir: string, version: string): void {
  const file = join(dir, 'versioned.mjs');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`));
}

/** Poll the app until it answers with `prefix`; returns its generation then. */
async function until(d: Daemon, url: string, prefix: string): Promise<number> {
  await d.waitFor(`code ${prefix} answering`, () => true);
  await waitFor(async () => (await get(url).catch(() => undefined))?.body.startsWith(prefix), { what: `${prefix} answering`, timeout: 15_000, interval: 30, detail: () => d.output() });
  return (await d.waitFor('reload settled', (s) => s.apps[0]!.state === 'running')).apps[0]!.generation;
}

describe('watch', () => {
  it('globs match like .gitignore', () => {
    assert.ok(globToRegExp('*.tmp').test('a/b/c.tmp'));
    assert.ok(!globToRegExp('*.tmp').test('a/b/c.tmpx'));
    assert.ok(globToRegExp('build/**').test('build/x/y.js'));
    assert.ok(!globToRegExp('build/**').test('src/build.js'));
    assert.ok(globToRegExp('cache').test('x/cache/y'));
  });

  it('serves saved code, ignores node_modules, and debounces a burst into one reload', async () => {
    const d = await startDaemon(
      `
apps:
  web:
    app: ./versioned.mjs
    listen: "127.0.0.1:0"
    workers: 1
    watch: { debounce: 200ms, ignore: ["*.tmp"] }
`,
      { fixtures: ['daemon/versioned.mjs'] },
    );
    try {
      const url = await d.url('web');
      const g0 = (await d.app('web')).generation;

      deploy(d.dir, 'saved');
      assert.equal(await until(d, url, 'saved '), g0 + 1, 'one save, one reload');

      // changes under node_modules and to ignored files trigger nothing: the next real save is
      // the only reload (else the generation would have moved further)
      mkdirSync(join(d.dir, 'node_modules/dep'), { recursive: true });
      writeFileSync(join(d.dir, 'node_modules/dep/index.js'), 'module.exports = 1;\n');
      writeFileSync(join(d.dir, 'scratch.tmp'), 'x');
      writeFileSync(join(d.dir, 'server.log'), 'x');
      deploy(d.dir, 'after-ignored');
      assert.equal(await until(d, url, 'after-ignored '), g0 + 2);

      // 20 saves within 100 ms: one reload (undebounced they would make at least two runs)
      for (let i = 0; i < 20; i++) {
        deploy(d.dir, `burst${i}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(await until(d, url, 'burst19 '), g0 + 3);
      deploy(d.dir, 'marker');
      assert.equal(await until(d, url, 'marker '), g0 + 4, 'the burst left no reload behind it');
      assert.equal((await d.app('web')).restarts, 0);
    } finally {
      await d.stop();
    }
  });
});

describe('SIGHUP', () => {
  const config = (apps: string) => `admin: { listen: "unix:admin.sock" }\napps:\n${apps}`;
  const app = (name: string, extra = '') => `  ${name}:\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:0"\n${extra}`;

  it('adds, removes and rolls apps, and leaves unchanged ones alone (same pids)', async () => {
    const d = await startDaemon(config(app('keep', '    workers: 2\n') + app('change') + app('gone')));
    try {
      const s0 = await d.status();
      const keepPids = readyPids(s0, 'keep').sort();
      const changePids = readyPids(s0, 'change');
      const goneUrl = await d.url('gone');
      writeFileSync(join(d.dir, 'tsgi.yaml'), config(app('keep', '    workers: 2\n') + app('change', '    env: { GREETING: changed }\n') + app('added')));
      d.proc.kill('SIGHUP');
      const s1 = await d.waitFor('config applied', (s) => {
        const names = s.apps.map((a) => a.name).sort().join(',');
        return names === 'added,change,keep' && s.apps.every((a) => a.state === 'running' && a.workers.every((w) => w.state === 'ready'));
      });
      assert.deepEqual(readyPids(s1, 'keep').sort(), keepPids, 'unchanged app untouched');
      assert.ok(readyPids(s1, 'change').every((p) => !changePids.includes(p)), 'changed app rolled');
      assert.match((await get(await d.url('change'))).body, /changed$/);
      assert.equal((await get(await d.url('added'))).status, 200);
      await assert.rejects(get(goneUrl), /ECONNREFUSED/);
      // the reload is logged once its steps are done: an added app's start settles restart.min_uptime after ready
      const done = /config reloaded: added \[added\] removed \[gone\] changed \[change\] started \[\] stopped \[\] unchanged \[keep\]/;
      await waitFor(() => done.test(d.output()), { what: 'the config-reload log line', detail: () => d.output() });
    } finally {
      await d.stop();
    }
  });

  it('rejects a broken file and changes nothing', async () => {
    const d = await startDaemon(config(app('web')));
    try {
      const pids = readyPids(await d.status(), 'web');
      writeFileSync(join(d.dir, 'tsgi.yaml'), config(app('web', '    workers: lots\n')));
      d.proc.kill('SIGHUP');
      await waitForOutput(d, /config reload rejected/);
      await untilOutput(d, /config reload rejected, everything keeps running as before: \S*tsgi\.yaml:\d+:\d+: apps\.web\.workers/);
      const s = await d.status();
      assert.deepEqual(readyPids(s, 'web'), pids);
      assert.equal((await get(await d.url('web'))).status, 200);
    } finally {
      await d.stop();
    }
  });
});

async function waitForOutput(d: Daemon, re: RegExp): Promise<void> {
  await waitFor(() => re.test(d.output()), { what: `${re} in the output`, timeout: 10_000, interval: 20, detail: () => d.output() });
}
