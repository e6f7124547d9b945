/**
 * Background apps (no `listen`), with real processes: a module run in the worker runtime with no
 * server, and a non-Node `command`, under the web apps' supervision: rolling reload that lets the
 * current job finish, scale, max_memory, crash loops and bad input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, pidAlive, readyPids, startDaemon, tempDir, TSGID, writeConfig } from './helpers/daemon.js';
import { untilOutput } from './helpers/output.js';

const B = join(FIXTURES, 'background');
// python's start, min_uptime and a scale up and down, with `npm run test:stress`'s busy loops beside it
const T = { timeout: 120_000 };

/** The consumer's journal: `start N pid`, `done N pid`, `drain pid`, `shutdown pid`, in order. */
function journal(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

describe('background apps', () => {
  it('reloads a queue consumer rolling: the new one is up before the old one stops, and the old one finishes its job', T, async () => {
    const dir = tempDir();
    const jobs = join(dir, 'jobs.log');
    const d = await startDaemon(`
apps:
  consumer:
    app: ${B}/consumer.mjs
    env: { JOBS_FILE: "${jobs}", JOB_MS: "700" }
    graceful_timeout: 10s
`, { dir });
    try {
      const s = await d.app('consumer');
      assert.equal(s.state, 'running');
      assert.deepEqual(s.listen, []);
      const [old] = readyPids(await d.status(), 'consumer') as [number];
      assert.equal((await d.api('POST', '/v1/apps/consumer/reload?wait=true')).status, 200);
      const after = await d.waitFor('old worker gone', (st) => st.apps[0]!.workers.length === 1 && readyPids(st, 'consumer')[0] !== old);
      const fresh = readyPids(after, 'consumer')[0]!;
      assert.equal(after.apps[0]!.last_exit?.reason, 'reload');
      assert.equal(after.apps[0]!.last_exit?.code, 0, 'the old worker exited by itself, not killed');
      const lines = journal(jobs);
      const mine = lines.filter((l) => l.endsWith(` ${old}`));
      const drainAt = lines.indexOf(`drain ${old}`);
      assert.ok(drainAt > 0, `the old worker was told to drain: ${lines.join(' | ')}`);
      assert.ok(lines.findIndex((l) => l.endsWith(` ${fresh}`)) < drainAt, 'the new worker took jobs before the old one was told to stop');
      // every job it started was done, and nothing after its shutdown
      const started = mine.filter((l) => l.startsWith('start')).map((l) => l.split(' ')[1]);
      const done = mine.filter((l) => l.startsWith('done')).map((l) => l.split(' ')[1]);
      assert.deepEqual(done, started, 'the job in hand when the drain came was finished');
      assert.equal(mine.at(-1), `shutdown ${old}`);
      assert.equal(pidAlive(old), false);
    } finally {
      await d.stop();
    }
  });

  it('runs a non-Node command with the app env, logs its output, scales it and stops it with SIGTERM', T, async () => {
    const d = await startDaemon(`
apps:
  py:
    command: [python3, ${B}/worker.py]
    env: { MODE: batch }
    workers: 2
`);
    try {
      const s = await d.waitFor('two up', (st) => readyPids(st, 'py').length === 2);
      const pids = readyPids(s, 'py');
      await d.waitFor('its lines logged', () => pids.every((p) => d.output().includes(`python worker ${p} up, MODE=batch`)));
      assert.equal((await d.api('POST', '/v1/apps/py/scale?wait=true', { workers: 3 })).status, 200);
      await d.waitFor('three', (st) => readyPids(st, 'py').length === 3 && st.apps[0]!.state === 'running');
      assert.equal((await d.api('POST', '/v1/apps/py/scale?wait=true', { workers: 1 })).status, 200);
      const one = await d.waitFor('one', (st) => st.apps[0]!.workers.length === 1);
      assert.equal(one.apps[0]!.last_exit?.reason, 'scale');
      assert.equal(one.apps[0]!.last_exit?.code, 0, 'it exited by its own SIGTERM handler');
      assert.equal((await d.api('POST', '/v1/apps/py/stop?wait=true')).status, 200);
      const last = readyPids(one, 'py')[0]!;
      await d.waitFor('said bye', () => d.output().includes(`bye ${last}`));
    } finally {
      await d.stop();
    }
  });

  it('recycles a background module past max_memory', T, async () => {
    const d = await startDaemon(`
stats_interval: 100ms
apps:
  leak:
    app: ${B}/grow.mjs
    env: { GROW_MB: "10" }
    max_memory: 120MB
`);
    try {
      const [first] = readyPids(await d.status(), 'leak') as [number];
      const s = await d.waitFor('replaced for max_memory', (st) => st.apps[0]!.last_exit?.reason === 'max_memory' && readyPids(st, 'leak').length === 1);
      assert.equal(s.apps[0]!.last_exit?.pid, first);
      assert.notEqual(readyPids(s, 'leak')[0], first);
      assert.equal(s.apps[0]!.restarts, 0, 'a recycle is not a crash');
    } finally {
      await d.stop();
    }
  });

  it('marks a module that throws failed, naming it, and a command that keeps dying as a crash loop; a web app beside them serves', T, async () => {
    const d = await startDaemon(`
apps:
  broken:
    app: ${B}/throws.mjs
  dies:
    command: [sh, -c, "echo dying; exit 3"]
    restart: { backoff_initial: 50ms, max_failures: 3, min_uptime: 5s, retry_failed: 0 }
  web:
    app: ${join(FIXTURES, 'daemon')}/hungry.mjs
    listen: "127.0.0.1:0"
`, { wait: false });
    try {
      const s = await d.waitFor('both failed, web running', (st) => st.apps.find((a) => a.name === 'web')?.state === 'running' && ['broken', 'dies'].every((n) => st.apps.find((a) => a.name === n)?.state === 'failed'));
      const broken = s.apps.find((a) => a.name === 'broken')!;
      assert.match(broken.failed_reason ?? '', /boot failure: TSGI_ERR_APP_BOOT: .*throws\.mjs: import failed: no queue to consume/);
      const dies = s.apps.find((a) => a.name === 'dies')!;
      assert.match(dies.failed_reason ?? '', /crash/i);
      assert.equal(dies.last_exit?.code, 3);
      await untilOutput(d, /dying/);
    } finally {
      await d.stop();
    }
  });

  it('refuses a command that does not exist and a background app with mounts, naming file, line and key', T, () => {
    const dir = tempDir();
    const file = writeConfig(dir, `apps:
  job:
    command: [no-such-program-tsgi, x]
  site:
    mounts: { "/": ./a.js }
`);
    const r = spawnSync(process.execPath, [TSGID, '-c', file, '--check'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /tsgi\.yaml:3:\d+: apps\.job\.command\[0\]: command not found or not executable: "no-such-program-tsgi" \(not on PATH/);
    assert.match(out, /TSGI_ERR_CONFIG_APP_MISSING/);
  });
});
