/**
 * Scheduled jobs whose entry is a module (`app` with `cron`), with real processes: runs every 2
 * seconds that resolve, throw, or do not load, each its own process with its exit code; runs past
 * run_timeout, one that ends when its signal aborts and one that ignores it and is killed; the
 * runs as `tsgictl status` prints them; and `workers`/`tsgictl scale` refused on a job.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JobStatus, RunRecord } from '../daemon/pool/cron-job.js';
import { FIXTURES, startDaemon, tempDir, TSGICTL, TSGID, writeConfig } from './helpers/daemon.js';
import { untilOutput } from './helpers/output.js';

const CRON = join(FIXTURES, 'cron');
const T = { timeout: 120_000 };
const NODE = process.execPath;

function job(s: { job: JobStatus | null }): JobStatus {
  assert.ok(s.job !== null, 'a cron app has a job status');
  return s.job;
}

const done = (s: { job: JobStatus | null }): RunRecord[] => job(s).runs.filter((r) => r.outcome !== 'running' && r.outcome !== 'skipped');

function pids(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
}

describe('scheduled jobs as modules', () => {
  it('runs a module every 2 seconds: 0 when it resolves, 1 when it throws, the load error when it does not load', T, async () => {
    const dir = tempDir();
    const d = await startDaemon(`
apps:
  tick:
    app: ${join(CRON, 'job-module.mjs')}
    cron: "*/2 * * * * *"
    cron_timezone: UTC
    env: { RUNS_FILE: "${join(dir, 'tick.log')}", JOB_MS: "150" }
  named:
    app: ${join(CRON, 'job-run-export.cjs')}
    cron: "*/2 * * * * *"
    env: { RUNS_FILE: "${join(dir, 'named.log')}" }
  throws:
    app: ${join(CRON, 'job-module.mjs')}
    cron: "*/2 * * * * *"
    env: { RUNS_FILE: "${join(dir, 'throws.log')}", JOB_THROW: "mail server said no" }
  broken:
    app: ${join(CRON, 'job-broken.mjs')}
    cron: "*/2 * * * * *"
`, { dir });
    try {
      const st = await d.waitFor('two finished runs of each', (s) => s.apps.every((a) => done(a).length >= 2), 60_000);
      const app = (name: string) => st.apps.find((a) => a.name === name)!;
      for (const r of done(app('tick'))) {
        assert.equal(r.outcome, 'ok', JSON.stringify(r));
        assert.equal(r.exit_code, 0, 'resolved: exit 0, though it left a timer running');
        assert.ok(r.duration_ms! >= 150, `ran its 150ms: ${r.duration_ms}`);
      }
      const ticks = pids(join(dir, 'tick.log'));
      assert.equal(new Set(ticks).size, ticks.length, 'each run is its own process');
      assert.ok(done(app('named')).every((r) => r.outcome === 'ok' && r.exit_code === 0), 'a CommonJS module exporting run');
      for (const r of done(app('throws'))) {
        assert.equal(r.outcome, 'failed');
        assert.equal(r.exit_code, 1, 'threw: exit 1');
      }
      await untilOutput(d, /\[throws:\d+\] throws: the run failed: Error: mail server said no/);
      for (const r of done(app('broken'))) {
        assert.equal(r.outcome, 'failed');
        assert.equal(r.exit_code, 4, 'did not load: EXIT_APP_LOAD_ERROR');
        assert.match(r.detail ?? '', /TSGI_ERR_APP_BOOT: .*job-broken\.mjs: import failed: job-broken: no DATABASE_URL/);
      }
      for (const a of st.apps) {
        assert.equal(a.state, 'running', `${a.name}: a failing run does not fail the job`);
        assert.equal(a.restarts, 0);
      }

      // tsgictl status, as text: the schedule, next run, and each run's start, duration, exit and outcome
      const text = spawnSync(NODE, [TSGICTL, '--socket', d.socket, 'status', 'throws'], { encoding: 'utf8' });
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /^throws: cron "\*\/2 \* \* \* \* \*" \(\S+\), overlap skip, next run \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/m);
      assert.match(text.stdout, /^ {2}STARTED +TRIGGER +DURATION +EXIT +OUTCOME +DETAIL$/m);
      // a run's length as formatRunDuration writes it: 85ms, or 1.5s on a loaded machine
      assert.match(text.stdout, /^ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +schedule +(\d+ms|\d+\.\ds) +1 +failed *$/m);
      const all = spawnSync(NODE, [TSGICTL, '--socket', d.socket, 'status'], { encoding: 'utf8' });
      assert.match(all.stdout, /^broken: cron /m);
      assert.match(all.stdout, /^ {2}\S+Z +schedule +\d+(ms|\.\ds) +4 +failed +TSGI_ERR_APP_BOOT: /m);
      assert.match(all.stdout, /^tick: cron "\*\/2 \* \* \* \* \*" \(UTC\)/m);
    } finally {
      await d.stop();
    }
  });

  it('stops a module run past run_timeout: one ends when its signal aborts, one that ignores it is killed', T, async () => {
    const dir = tempDir();
    const d = await startDaemon(`
apps:
  polite:
    app: ${join(CRON, 'job-module.mjs')}
    cron: "*/3 * * * * *"
    env: { RUNS_FILE: "${join(dir, 'polite.log')}", JOB_MS: "600000" }
    run_timeout: 2s
  stubborn:
    app: ${join(CRON, 'job-module.mjs')}
    cron: "*/3 * * * * *"
    env: { RUNS_FILE: "${join(dir, 'stubborn.log')}", JOB_MS: "600000", JOB_IGNORE_STOP: "1" }
    run_timeout: 2s
    graceful_timeout: 1s
`, { dir });
    try {
      const st = await d.waitFor('a timed-out run of each', (s) => s.apps.every((a) => job(a).runs.some((r) => r.outcome === 'timeout')), 60_000);
      const out = (name: string) => job(st.apps.find((a) => a.name === name)!).runs.find((r) => r.outcome === 'timeout')!;
      const polite = out('polite');
      assert.equal(polite.signal, null);
      assert.equal(polite.exit_code, 1, 'its sleep rejected with the abort: the run threw');
      assert.ok(polite.duration_ms! >= 2000, `ran to run_timeout: ${polite.duration_ms}`);
      const stubborn = out('stubborn');
      assert.equal(stubborn.signal, 'SIGKILL', 'killed once graceful_timeout passed');
      assert.ok(stubborn.duration_ms! >= 3000, `run_timeout + graceful_timeout: ${stubborn.duration_ms}`);
      await untilOutput(d, /stubborn: run of worker \d+ \(pid \d+\) past run_timeout \(2s\); stopping it/);
      assert.ok(st.apps.every((a) => a.restarts === 0));
    } finally {
      await d.stop();
    }
  });

  it('refuses `workers` and `listen` on a job at load, and `tsgictl scale` with a coded 409, the config left alone', T, async () => {
    const dir = tempDir();
    const file = writeConfig(dir, `apps:
  a:
    app: ${join(CRON, 'job-module.mjs')}
    cron: "@hourly"
    workers: 3
  b:
    app: ${join(CRON, 'job-module.mjs')}
    cron: "@hourly"
    listen: "127.0.0.1:0"
`);
    const r = spawnSync(NODE, [TSGID, '-c', file, '--check'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /tsgi\.yaml:5:\d+: apps\.a\.workers: expected no "workers" with "cron" \(got 3\)/);
    assert.match(r.stdout + r.stderr, /tsgi\.yaml:9:\d+: apps\.b\.listen: expected no "listen" with "cron"/);

    const d = await startDaemon(`
apps:
  nightly:
    app: ${join(CRON, 'job-module.mjs')}
    cron: "0 3 * * *"
`, { dir: tempDir() });
    try {
      const before = readFileSync(join(d.dir, 'tsgi.yaml'), 'utf8');
      const res = await d.api<{ error: { code: string; message: string } }>('POST', '/v1/apps/nightly/scale', { workers: 2 });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'TSGI_ERR_JOB_NOT_SCALABLE');
      const ctl = spawnSync(NODE, [TSGICTL, '--socket', d.socket, 'scale', 'nightly', '+1'], { encoding: 'utf8' });
      assert.equal(ctl.status, 1);
      assert.match(ctl.stderr, /nightly is a scheduled job \(cron\)/);
      const json = spawnSync(NODE, [TSGICTL, '--socket', d.socket, '--json', 'scale', 'nightly', '3'], { encoding: 'utf8' });
      assert.equal(json.status, 1);
      assert.match(json.stdout + json.stderr, /TSGI_ERR_JOB_NOT_SCALABLE/);
      assert.equal(readFileSync(join(d.dir, 'tsgi.yaml'), 'utf8'), before, 'nothing written back');
      assert.equal((await d.app('nightly')).state, 'running');
    } finally {
      await d.stop();
    }
  });
});
