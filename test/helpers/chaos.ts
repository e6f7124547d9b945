/**
 * Chaos against a running tsgid (test/chaos.test.ts runs it briefly, bench/chaos.ts for 30 s):
 * a keep-alive load on every app, a random ready worker SIGKILLed every `killEveryMs`, and one
 * worker SIGSTOPped so that only the arbiter's heartbeat `timeout` can get rid of it. Then it waits,
 * with a bounded deadline, for every app to be back at its target, and reports what it saw.
 */
import { readFileSync } from 'node:fs';
import type { DaemonStatus } from '../../daemon/arbiter/arbiter.js';
import { delay, pidAlive, type Daemon } from './daemon.js';
import { keepAliveLoad, type LoadResult } from './load.js';

export interface ChaosOptions {
  apps: string[];
  seconds: number;
  killEveryMs: number;
  /** load connections per app */
  connections: number;
  /** the app one of whose workers is SIGSTOPped (its `timeout` should be short) */
  stopApp: string;
  /** deadline for every app to be back at its target after the chaos */
  recoverTimeoutMs: number;
}

export interface ChaosReport {
  kills: number;
  stoppedPid: number;
  /** the stopped worker was gone (killed by the arbiter) by the end */
  stoppedGone: boolean;
  loads: Record<string, LoadResult>;
  ok: number;
  failed: number;
  /** error kind → count, over all apps */
  errorKinds: Record<string, number>;
  recoverMs: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  daemonAlive: boolean;
}

/** VmRSS of a process in kB, from /proc/<pid>/status. */
export function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

export function atTarget(s: DaemonStatus, apps: string[]): boolean {
  return apps.every((name) => {
    const a = s.apps.find((x) => x.name === name);
    return a !== undefined && a.state === 'running' && a.ready === a.target && a.workers.length === a.target && a.workers.every((w) => w.state === 'ready');
  });
}

export async function runChaos(d: Daemon, opts: ChaosOptions): Promise<ChaosReport> {
  const daemonPid = d.proc.pid!;
  const rssBeforeKb = vmRssKb(daemonPid);
  const urls = await Promise.all(opts.apps.map((a) => d.url(a)));
  const loads = opts.apps.map((_, i) => keepAliveLoad(`${urls[i]}/`, opts.connections));

  // one worker stopped: it holds its connections and sends no heartbeat until the arbiter kills it
  const victim = (await d.app(opts.stopApp)).workers.find((w) => w.state === 'ready')!;
  const stoppedPid = victim.pid!;
  process.kill(stoppedPid, 'SIGSTOP');

  let kills = 0;
  const until = Date.now() + opts.seconds * 1000;
  while (Date.now() < until) {
    const tickStart = Date.now();
    const s = await d.status();
    const candidates = s.apps
      .filter((a) => opts.apps.includes(a.name))
      .flatMap((a) => a.workers)
      .filter((w) => w.state === 'ready' && w.pid !== undefined && w.pid !== stoppedPid);
    const pick = candidates[Math.floor(Math.random() * candidates.length)];
    if (pick !== undefined) {
      try {
        process.kill(pick.pid!, 'SIGKILL');
        kills++;
      } catch {
        // it died between the status and the kill
      }
    }
    await delay(Math.max(0, opts.killEveryMs - (Date.now() - tickStart)));
  }
  const results = await Promise.all(loads.map((l) => l.stop()));

  const started = Date.now();
  await d.waitFor('every app back at its target', (s) => atTarget(s, opts.apps), opts.recoverTimeoutMs);
  const recoverMs = Date.now() - started;
  // a stopped process cannot exit: if the arbiter never killed it, it is still there
  const stoppedGone = !pidAlive(stoppedPid);
  if (!stoppedGone) process.kill(stoppedPid, 'SIGKILL');

  const errorKinds: Record<string, number> = {};
  for (const r of results) for (const e of r.errors) errorKinds[e] = (errorKinds[e] ?? 0) + 1;
  return {
    kills,
    stoppedPid,
    stoppedGone,
    loads: Object.fromEntries(opts.apps.map((a, i) => [a, results[i]!])),
    ok: results.reduce((n, r) => n + r.ok, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    errorKinds,
    recoverMs,
    rssBeforeKb,
    rssAfterKb: vmRssKb(daemonPid),
    daemonAlive: d.proc.exitCode === null && d.proc.signalCode === null && pidAlive(daemonPid),
  };
}

/** The YAML for `n` chaos apps on TCP port 0, each with a short heartbeat timeout and a lenient restart policy. */
export function chaosYaml(appFile: string, names: string[], workers: number, timeout = '1s'): string {
  return `apps:\n${names
    .map(
      (n) => `  ${n}:
    app: ${appFile}
    listen: "127.0.0.1:0"
    workers: ${workers}
    timeout: ${timeout}
    restart: { min_uptime: 100ms, backoff_initial: 50ms, backoff_max: 200ms, max_failures: 10000, window: 60s }
`,
    )
    .join('')}`;
}
