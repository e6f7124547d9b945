/**
 * Scheduled jobs (`cron`), with real processes: runs every second or two with their history, a run
 * that overruns run_timeout and the times skipped meanwhile, tsgictl run, and a bad expression.
 * The skip/queue bookkeeping is also driven directly with a fake clock (no processes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../daemon/config/index.js';
import { CronJob, RUN_HISTORY, type JobStatus } from '../daemon/pool/cron-job.js';
import { FIXTURES, startDaemon, tempDir, TSGICTL, TSGID, writeConfig } from './helpers/daemon.js';
import { untilOutput } from './helpers/output.js';

const JOB = join(FIXTURES, 'cron/job.mjs');
const T = { timeout: 90_000 };
const NODE = process.execPath;

function runs(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function job(s: { job: JobStatus | null }): JobStatus {
  assert.ok(s.job !== null, 'a cron app has a job status');
  return s.job;
}

describe('scheduled jobs', () => {
  it('runs a job every 2 seconds, records each run, and never counts its exits as crashes', T, async () => {
    const dir = tempDir();
    const file = join(dir, 'runs.log');
    const d = await startDaemon(`
apps:
  tick:
    command: [${NODE}, ${JOB}]
    cron: "*/2 * * * * *"
    cron_timezone: UTC
    env: { RUNS_FILE: "${file}", JOB_MS: "100" }
    restart: { min_uptime: 50ms }
  fails:
    command: [${NODE}, ${JOB}]
    cron: "*/2 * * * * *"
    env: { RUNS_FILE: "${join(dir, 'fails.log')}", JOB_EXIT: "3" }
`, { dir });
    try {
      const st = await d.waitFor('two finished runs of each', (s) => s.apps.every((a) => job(a).runs.filter((r) => r.outcome !== 'running').length >= 2), 30_000);
      const tick = st.apps.find((a) => a.name === 'tick')!;
      const done = job(tick).runs.filter((r) => r.outcome !== 'running');
      for (const r of done) {
        assert.equal(r.outcome, 'ok');
        assert.equal(r.exit_code, 0);
        assert.equal(r.trigger, 'schedule');
        assert.ok(r.duration_ms !== null && r.duration_ms >= 100, `ran its 100ms: ${r.duration_ms}`);
      }
      assert.ok(done[0]!.started_at > done[1]!.started_at, 'newest first');
      assert.notEqual(done[0]!.worker, done[1]!.worker, 'each run is its own process');
      assert.equal(new Set(runs(file)).size, runs(file).length, 'each run had its own pid');
      assert.equal(job(tick).cron, '*/2 * * * * *');
      assert.equal(job(tick).timezone, 'UTC');
      assert.ok(job(tick).next_run_at! > done[0]!.started_at);
      assert.equal(tick.state, 'running');
      const fails = st.apps.find((a) => a.name === 'fails')!;
      const failed = job(fails).runs.filter((r) => r.outcome !== 'running');
      assert.ok(failed.every((r) => r.outcome === 'failed' && r.exit_code === 3), JSON.stringify(failed));
      assert.equal(fails.state, 'running', 'a failing run does not mark the job failed: the next one runs on schedule');
      assert.equal(fails.restarts, 0);
      assert.equal((await d.api('GET', '/v1/ready')).status, 200, 'a job between runs holds readiness up for nothing');
    } finally {
      await d.stop();
    }
  });

  it('stops a run past run_timeout, reports it, and skips the times that fell due meanwhile', T, async () => {
    const dir = tempDir();
    const d = await startDaemon(`
apps:
  slow:
    command: [${NODE}, ${JOB}]
    cron: "* * * * * *"
    env: { RUNS_FILE: "${join(dir, 'runs.log')}", JOB_MS: "600000" }
    run_timeout: 2500ms
    graceful_timeout: 1s
`, { dir });
    try {
      await d.waitFor('a run going', (s) => job(s.apps[0]!).runs.some((r) => r.outcome === 'running'));
      const busy = await d.api<{ error: { code: string } }>('POST', '/v1/apps/slow/run');
      assert.equal(busy.status, 409);
      assert.equal(busy.body.error.code, 'TSGI_ERR_JOB_RUNNING');
      const st = await d.waitFor('a run timed out', (s) => job(s.apps[0]!).runs.some((r) => r.outcome === 'timeout'), 30_000);
      const rs = job(st.apps[0]!).runs;
      const out = rs.find((r) => r.outcome === 'timeout')!;
      assert.equal(out.signal, 'SIGTERM', 'stopped by SIGTERM (it has no handler)');
      assert.ok(out.duration_ms! >= 2500, `ran past run_timeout: ${out.duration_ms}`);
      assert.ok(rs.some((r) => r.outcome === 'skipped' && r.started_at > out.started_at), 'the seconds that fell due during the run were skipped');
      await untilOutput(d, /slow: run of worker \d+ \(pid \d+\) past run_timeout \(2500ms\); stopping it/);
      assert.equal(st.apps[0]!.restarts, 0);
    } finally {
      await d.stop();
    }
  });

  it('tsgictl run starts a run now; an app without cron refuses with a coded 409', T, async () => {
    const dir = tempDir();
    const d = await startDaemon(`
apps:
  yearly:
    command: [${NODE}, ${JOB}]
    cron: "0 0 1 1 *"
    env: { RUNS_FILE: "${join(dir, 'runs.log')}" }
  plain:
    command: [${NODE}, -e, "setInterval(() => {}, 1e9)"]
`, { dir });
    try {
      const r = spawnSync(NODE, [TSGICTL, '--socket', d.socket, 'run', 'yearly'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^yearly: run started; next scheduled \d{4}-01-01T/);
      const st = await d.waitFor('the run done', (s) => job(s.apps.find((a) => a.name === 'yearly')!).runs.some((x) => x.outcome === 'ok'));
      assert.equal(job(st.apps.find((a) => a.name === 'yearly')!).runs[0]!.trigger, 'manual');
      const no = spawnSync(NODE, [TSGICTL, '--socket', d.socket, '--json', 'run', 'plain'], { encoding: 'utf8' });
      assert.equal(no.status, 1);
      assert.match(no.stderr + no.stdout, /TSGI_ERR_JOB_NOT_SCHEDULED/);
      assert.equal((await d.api('POST', '/v1/apps/nope/run')).status, 404);
    } finally {
      await d.stop();
    }
  });

  it('refuses a bad cron expression, a bad time zone and workers on a job, naming file, line and key', T, () => {
    const dir = tempDir();
    const file = writeConfig(dir, `apps:
  a:
    command: [${NODE}, ${JOB}]
    cron: "*/5 * * *"
  b:
    command: [${NODE}, ${JOB}]
    cron: "61 * * * *"
    cron_timezone: Mars/Olympus
  c:
    app: ${JOB}
    cron: "@hourly"
    workers: 2
`);
    const r = spawnSync(NODE, [TSGID, '-c', file, '--check'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /tsgi\.yaml:4:\d+: apps\.a\.cron: expected a cron expression such as "\*\/5 \* \* \* \*", got "\*\/5 \* \* \*"/);
    assert.match(out, /tsgi\.yaml:7:\d+: apps\.b\.cron: .*minute: 61/);
    assert.match(out, /tsgi\.yaml:8:\d+: apps\.b\.cron_timezone: expected an IANA time zone/);
    assert.match(out, /tsgi\.yaml:12:\d+: apps\.c\.workers: expected no "workers" with "cron"/);
    assert.throws(() => loadConfig(file, process.env), /cron/);
  });
});

describe('a job\'s schedule (fake clock)', () => {
  const config = (overlap: 'skip' | 'queue') => ({ name: 'j', cron: '* * * * * *', overlap, run_timeout: 10_000 }) as never;
  const t0 = Date.parse('2030-01-01T00:00:00.000Z');

  it('skips a time that falls due during a run (overlap: skip), and keeps the last runs only', () => {
    const j = new CronJob(config('skip'), t0);
    j.tick(t0 + 1000);
    assert.equal(j.wants, true);
    j.started(1, t0 + 1000);
    j.tick(t0 + 2000);
    assert.equal(j.wants, false);
    assert.equal(j.status().runs[0]!.outcome, 'skipped');
    assert.throws(() => j.runNow(), /TSGI_ERR_JOB_RUNNING|still going/);
    assert.equal(j.finished(1, 0, null, false, t0 + 2500), true);
    assert.equal(j.status().runs[1]!.outcome, 'ok');
    assert.equal(j.status().runs[1]!.duration_ms, 1500);
    assert.equal(j.finished(99, 0, null, false, t0 + 2500), false, 'not its run');
    for (let i = 0; i < RUN_HISTORY * 2; i++) {
      j.tick(t0 + 3000 + i * 1000);
      j.started(100 + i, t0 + 3000 + i * 1000);
      j.finished(100 + i, 1, null, false, t0 + 3100 + i * 1000);
    }
    assert.equal(j.status().runs.length, RUN_HISTORY);
    assert.equal(j.status().runs[0]!.outcome, 'failed');
  });

  it('queues one run behind the one going (overlap: queue), and reports a run past run_timeout once', () => {
    const j = new CronJob(config('queue'), t0);
    j.tick(t0 + 1000);
    j.started(1, t0 + 1000);
    j.tick(t0 + 2000);
    assert.equal(j.runNow(), 'queued');
    j.tick(t0 + 3000);
    assert.equal(j.status().queued, true);
    assert.deepEqual(j.status().runs.map((r) => r.outcome), ['skipped', 'running'], 'one queued; the next time is skipped');
    assert.equal(j.overdue(t0 + 5000), undefined);
    assert.equal(j.nextDeadline(), t0 + 4000);
    assert.equal(j.overdue(t0 + 11_000), 1);
    assert.equal(j.overdue(t0 + 11_001), undefined, 'told once');
    j.finished(1, null, 'SIGTERM', false, t0 + 11_500);
    assert.equal(j.status().runs[1]!.outcome, 'timeout');
    assert.equal(j.wants, true, 'the queued run starts once the one going has ended');
  });
});
