/**
 * tsgictl top: the frame and the rates as units (no terminal), then the real binary against a real
 * tsgid: --once into a pipe, --json following a SIGKILL, and on a terminal (script(1) gives it a
 * pty) the alternate screen, a frame redrawn in place, q to quit and the terminal restored.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { AppStatus } from '../daemon/pool/app-pool.js';
import type { DaemonStatus } from '../daemon/arbiter/arbiter.js';
import type { WorkerStatus } from '../daemon/pool/worker-record.js';
import { TopModel } from '../cli/top-model.js';
import { clip, renderFrame, sparkline } from '../cli/top-view.js';
import { FIXTURES, TSGICTL, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { track } from './helpers/procs.js';
import { needs, SCRIPT_TOOL } from './helpers/tools.js';

const ESC = '\u001b[';

function worker(id: number, pid: number, requests: number): WorkerStatus {
  return { id, pid, generation: 1, state: 'ready', started_at: 0, ready_at: 0, uptime_ms: 65_000, requests, inflight: 0, connections: 0, rss: 50 * 1024 * 1024, cpu: 3, retiring: null } as WorkerStatus;
}

function daemon(uptime: number, apps: Array<Partial<AppStatus> & { name: string; workers: WorkerStatus[] }>): DaemonStatus {
  return {
    pid: 4242,
    version: '0.1.0',
    upgrades: 0,
    started_at: 0,
    uptime_ms: uptime,
    config_file: '/srv/tsgi.yaml',
    apps: apps.map((a) => ({ state: 'running', target: a.workers.length, ready: a.workers.length, generation: 1, restarts: 0, listen: [], pending_connections: 0, failed_reason: null, last_boot_error: null, last_exit: null, recent_restarts: [], ...a }) as AppStatus),
  };
}

describe('tsgictl top: model and frame', () => {
  it('computes req/s from two samples, per app and per worker, and draws them', () => {
    const m = new TopModel();
    m.apply('snapshot', daemon(10_000, [{ name: 'shop', workers: [worker(1, 101, 100), worker(2, 102, 50)] }]));
    assert.equal(m.rates.get('shop')!.rps, undefined, 'one sample is no rate');
    m.apply('stats', daemon(12_000, [{ name: 'shop', workers: [worker(1, 101, 140), worker(2, 102, 70)] }]));
    assert.equal(m.rates.get('shop')!.rps, 30, '60 requests in 2 s');
    assert.equal(m.rates.get('shop')!.workers.get(1), 20);
    const frame = renderFrame(m, { style: { color: false } }).join('\n');
    assert.match(frame, /^tsgid 4242 · up 12s · 1 app · \/srv\/tsgi\.yaml/);
    assert.match(frame, /shop {2}running {2}2\/2 ready {2}0 unplanned restarts {2}30\.0 req\/s █$/m);
    assert.match(frame, /^ {2}1 +101 +ready +1m +50\.0MB +3% +140 +20\.0$/m);
    assert.match(frame, /^ {2}2 +102 +ready +1m +50\.0MB +3% +70 +10\.0$/m);
  });

  it('keeps the rate steady across a recycle with the app total, and counts a new worker from zero without it', () => {
    const m = new TopModel();
    m.apply('snapshot', daemon(0, [{ name: 'a', requests_total: 1000, workers: [worker(1, 101, 1000)] }]));
    // worker 1 (1000 requests) replaced by worker 2, which served 10: the total knows 1010
    m.apply('stats', daemon(1000, [{ name: 'a', requests_total: 1010, workers: [worker(2, 102, 10)] }]));
    assert.equal(m.rates.get('a')!.rps, 10);
    const n = new TopModel();
    n.apply('snapshot', daemon(0, [{ name: 'a', workers: [worker(1, 101, 1000)] }]));
    n.apply('stats', daemon(1000, [{ name: 'a', workers: [worker(2, 102, 10)] }]));
    assert.equal(n.rates.get('a')!.rps, 10, 'no negative dip from the worker that went');
  });

  it('applies worker events at once: a new worker shows, an exited one goes', () => {
    const m = new TopModel();
    m.apply('snapshot', daemon(0, [{ name: 'a', workers: [worker(1, 101, 0)] }]));
    assert.equal(m.apply('worker', { type: 'worker', app: 'a', worker: 2, pid: 102, from: 'starting', to: 'starting', at: 0 }), true);
    m.apply('worker', { type: 'worker', app: 'a', worker: 1, pid: 101, from: 'ready', to: 'crashed', reason: 'crash', at: 0 });
    assert.deepEqual(m.status!.apps[0]!.workers.map((w) => [w.pid, w.state]), [[102, 'starting']]);
    assert.equal(m.apply('ping', {}), false, 'an unknown event changes nothing');
  });

  it('fits the screen: lines cut to the width (colour codes take none), the frame to the height', () => {
    assert.equal(clip(`${ESC}32mrunning${ESC}0m and more`, 4), `${ESC}32mrunn${ESC}0m`);
    assert.equal(clip('short', 80), 'short');
    const m = new TopModel();
    m.apply('snapshot', daemon(0, Array.from({ length: 5 }, (_, i) => ({ name: `app${i}`, workers: [worker(1, 100 + i, 0)] }))));
    const lines = renderFrame(m, { columns: 20, rows: 8, style: { color: true } });
    assert.equal(lines.length, 8);
    assert.match(lines[7]!, /^… \d+ more lines$/);
    assert.ok(lines.every((l) => l.replace(/\u001b\[[0-9;]*m/g, '').length <= 20));
    assert.equal(sparkline([0, 5, 10]), '▁▅█');
  });
});

describe('tsgictl top against a real tsgid', () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon(`apps:\n  web:\n    app: ${FIXTURES}/daemon/node-app.mjs\n    listen: "127.0.0.1:0"\n    workers: 2\n`);
  });
  after(async () => {
    await d?.stop();
  });

  it('--once into a pipe prints one plain frame with the apps and worker pids, and exits 0', async () => {
    const pids = readyPids(await d.status(), 'web');
    const r = await run(['--socket', d.socket, 'top', '--once']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(ESC), 'no escape codes into a pipe');
    assert.match(r.stdout, new RegExp(`^tsgid ${d.proc.pid} `));
    assert.match(r.stdout, /^web {2}running {2}2\/2 ready .* req\/s/m);
    for (const pid of pids) assert.match(r.stdout, new RegExp(`^ +\\d+ +${pid} +ready `, 'm'));
  });

  it('--json streams the events, a worker event after a SIGKILL among them; Ctrl-C ends it with 0', async () => {
    const child = track(spawn(process.execPath, [TSGICTL, '--socket', d.socket, 'top', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async (pred: (e: { event: string; data: any }) => boolean) => {
      for (;;) {
        const { value, done } = await lines.next();
        if (done) throw new Error('tsgictl top --json ended');
        const e = JSON.parse(value as string) as { event: string; data: any };
        if (pred(e)) return e;
      }
    };
    const snapshot = await next(() => true);
    assert.equal(snapshot.event, 'snapshot');
    const victim = readyPids(snapshot.data as DaemonStatus, 'web')[0]!;
    process.kill(victim, 'SIGKILL');
    const e = await next((x) => x.event === 'worker' && x.data.pid === victim && x.data.to === 'crashed');
    assert.equal(e.data.reason, 'killed');
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    await d.waitFor('web back to 2 ready', (s) => readyPids(s, 'web').length === 2);
  });

  it('on a terminal: the alternate screen, a frame redrawn in place, q quits and restores the terminal', needs(SCRIPT_TOOL), async () => {
    // script(1) runs tsgictl on a pty and passes our stdin to it
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete env.NO_COLOR;
    const child = track(spawn('script', ['-qfec', `"${process.execPath}" "${TSGICTL}" --socket "${d.socket}" top`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env }));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    const pids = readyPids(await d.status(), 'web');
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        // two full frames: the snapshot's and one after a stats event
        if (out.split(`${ESC}H`).length > 2 && pids.every((p) => out.includes(String(p)))) resolve();
      });
      child.once('exit', () => reject(new Error(`tsgictl top exited early:\n${out}`)));
    });
    child.stdin!.write('q');
    assert.equal(await exited, 0, out);
    assert.ok(out.startsWith(`${ESC}?1049h${ESC}?25l`), 'enters the alternate screen, cursor hidden');
    assert.ok(out.trimEnd().endsWith(`${ESC}?25h${ESC}?1049l`), 'leaves it, cursor back');
    assert.match(out, /q: quit/);
    assert.ok(out.includes(`${ESC}32mrunning`), 'colour on a terminal');
  });
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSGICTL, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}
