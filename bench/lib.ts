/**
 * What the benchmarks share: start tsgid on a config, run wrk and read its figures, install peers
 * (PM2) into a scratch folder — never as dependencies of the product.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TSGID = join(ROOT, 'dist/daemon/main.js');
export const TSGICTL = join(ROOT, 'dist/cli/main.js');

export const HELLO = `export default (req, res) => res.end('hello world');\n`;
export const HELLO_CJS = `module.exports = (req, res) => res.end('hello world');\n`;

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${process.platform}`;
}

export function scratch(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tsgi-bench-${name}-`));
  return dir;
}

export interface Tsgid {
  proc: ChildProcess;
  dir: string;
  socket: string;
  stop(): Promise<void>;
}

/**
 * `bin`: another build's dist/daemon/main.js, to compare two versions of tsgid (bench/throughput.ts --baseline).
 * `readyMs`: how long its apps may take to run (workers under valgrind boot ~50x slower, bench/instructions.ts).
 */
/** `node`: what runs tsgid (bench/instructions.ts --close passes a valgrind wrapper) */
export async function startTsgid(dir: string, yaml: string, bin = TSGID, readyMs = 60_000, node = process.execPath): Promise<Tsgid> {
  writeFileSync(join(dir, 'tsgi.yaml'), `admin: { listen: "unix:admin.sock" }\n${yaml}`);
  const proc = spawn(node, [bin, '-c', join(dir, 'tsgi.yaml')], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const socket = join(dir, 'admin.sock');
  try {
    await waitUntil(async () => {
      const s = await adminGet<{ apps: Array<{ state: string }> }>(socket, '/v1/apps').catch(() => undefined);
      return s !== undefined && s.apps.length > 0 && s.apps.every((a) => a.state === 'running');
    }, readyMs);
  } catch (err) {
    // a tsgid left running would go on respawning its workers
    await stopTree(proc.pid!);
    throw err;
  }
  return {
    proc,
    dir,
    socket,
    stop: () =>
      new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** A TCP port that was free a moment ago (for peers that cannot listen on port 0 and report it). */
export { freePort } from '../test/helpers/nginx.js';

export function adminGet<T>(socketPath: string, path: string, method = 'GET'): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode! < 400 ? resolve(JSON.parse(body) as T) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function waitUntil(pred: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface WrkResult {
  rps: number;
  requests: number;
  p50ms: number;
  p99ms: number;
  /** connect + read + write + timeout errors, and non-2xx answers */
  errors: number;
  detail: string;
  /** requests over 2 s, when the run's `script` prints `over 2 s: N` (bench/reload.ts) */
  over2s: number;
}

export function wrk(url: string, opts: { seconds: number; connections?: number; threads?: number; headers?: string[]; script?: string; timeout?: string }): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const args = ['-t', String(opts.threads ?? 2), '-c', String(opts.connections ?? 50), '-d', `${opts.seconds}s`, '--latency', ...(opts.headers ?? []).flatMap((h) => ['-H', h]), ...(opts.script === undefined ? [] : ['-s', opts.script]), ...(opts.timeout === undefined ? [] : ['--timeout', opts.timeout]), url];
    const p = spawn('wrk', args);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('exit', () => resolve(parseWrk(out)));
  });
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
  const ms = (re: RegExp): number => {
    const m = re.exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
    errors: socketErrors + non2xx,
    over2s: num(/over 2 s: (\d+)/),
    detail: sock ? sock[0] + (non2xx ? `, non-2xx ${non2xx}` : '') : non2xx ? `non-2xx ${non2xx}` : 'no errors',
  };
}

/** PM2, installed once into a scratch folder (it is a peer we compare with, not a dependency). */
export function pm2Bin(): string {
  const dir = join(tmpdir(), 'tsgi-bench-peers');
  const bin = join(dir, 'node_modules/.bin/pm2');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', 'pm2@6'], { cwd: dir, stdio: 'inherit' });
  }
  return bin;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A 95 % interval for the median of xs, by bootstrap (resampling xs with replacement). The
 * generator is seeded so the same figures give the same interval, run after run.
 */
export function medianInterval(xs: number[], resamples = 10_000): [number, number] {
  let seed = 0x9e3779b9;
  const next = (): number => {
    // xorshift32: enough for picking indices, and repeatable
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const medians = Array.from({ length: resamples }, () => median(xs.map(() => xs[Math.floor(next() * xs.length)]!)));
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(resamples * 0.025)]!, medians[Math.floor(resamples * 0.975)]!];
}

export function row(cells: Array<string | number>): string {
  return `| ${cells.join(' | ')} |`;
}

/** USER_HZ on Linux: the unit of utime/stime in /proc/<pid>/stat */
const TICKS_PER_SECOND = 100;

/** /proc/<pid>/stat after the command name (which may hold spaces): [0] is field 3, the state. */
function statFields(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds a process's live threads have run, to the nanosecond (/proc/<pid>/task/<tid>/schedstat),
 * where /proc/<pid>/stat counts in 10 ms ticks: a few seconds of a benchmark are a few hundred ticks.
 */
export function cpuRunSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}

/** A process's children, from /proc. */
export function children(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** CPU seconds of a process and its children (a tsgid and its workers, a cluster primary and its workers), to the nanosecond. */
export function treeCpuSeconds(pid: number): number {
  return cpuRunSeconds(pid) + children(pid).reduce((a, c) => a + cpuRunSeconds(c), 0);
}

/**
 * When a process started (clock ticks after boot, /proc/<pid>/stat field 22): with its pid, names
 * it even after the pid is reused. Undefined once it is gone, or dead but not yet reaped (a zombie).
 */
function startTime(pid: number): string | undefined {
  try {
    const f = statFields(pid);
    return f[0] === 'Z' ? undefined : f[19];
  } catch {
    return undefined;
  }
}

/**
 * Stops a server and all it started: SIGTERM to `pid` (the arbiter or cluster primary: killing
 * only its workers would have them respawned), up to `graceMs` for it to exit, then SIGKILL to
 * whatever is left of its process tree as it was before the SIGTERM.
 */
export async function stopTree(pid: number, graceMs = 60_000): Promise<void> {
  type Proc = [pid: number, started: string | undefined];
  const tree: Proc[] = [];
  const walk = (p: number): void => {
    tree.push([p, startTime(p)]);
    let below: number[] = [];
    try {
      below = children(p);
    } catch {
      // it exited since it was looked at
    }
    for (const c of below) walk(c);
  };
  const alive = ([p, started]: Proc): boolean => started !== undefined && startTime(p) === started;
  const kill = (proc: Proc, signal: NodeJS.Signals): boolean => {
    if (!alive(proc)) return false;
    try {
      process.kill(proc[0], signal);
      return true;
    } catch {
      return false; // it exited since it was looked at
    }
  };
  walk(pid);
  if (kill(tree[0]!, 'SIGTERM')) await waitUntil(() => !alive(tree[0]!), graceMs).catch(() => undefined);
  for (const p of tree) kill(p, 'SIGKILL');
}

/** Resident memory of a process in MB, from /proc. */
export function rssMB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}
