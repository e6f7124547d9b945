/**
 * Start a real tsgid on a config written into a temp dir, and talk to it through its admin API
 * socket. Waiting helpers poll the daemon's own status until a condition holds or a deadline
 * passes; the deadline is a guard against hanging, never the thing a test asserts, and it grows
 * with the machine's load (helpers/wait.ts). Every tsgid started here is tracked (helpers/procs.ts):
 * one that fails to start is killed with its workers at once, one a test leaves running when the
 * file ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppStatus } from '../../daemon/pool/app-pool.js';
import type { DaemonStatus } from '../../daemon/arbiter/arbiter.js';
import { prettyLine } from '../../daemon/pretty-print.js';
import { killTree } from './proc-tree.js';
import { abandon, removeAtEnd, track } from './procs.js';
import { scaled, waitFor } from './wait.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TSGID = join(ROOT, 'dist/daemon/main.js');
export const TSGICTL = join(ROOT, 'dist/cli/main.js');
export const FIXTURES = join(ROOT, 'test/fixtures');

// CI runs the suite as root, and its configs set no `user`: let every tsgid and tsgictl it starts
// run such apps as root. test/privileges.test.ts clears it to test the refusal.
process.env.TSGI_ALLOW_ROOT ??= '1';

export interface Daemon {
  dir: string;
  proc: ChildProcess;
  socket: string;
  /** what tsgid printed, its JSON log records rendered as text (`TIME LEVEL msg`, `TIME [app:worker] line`) */
  output(): string;
  /** what tsgid printed, as is */
  rawOutput(): string;
  /** what tsgid printed on stdout alone, as is */
  stdout(): string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  status(): Promise<DaemonStatus>;
  app(name: string): Promise<AppStatus>;
  /** poll the status until `pred` holds; `timeoutMs` (20 s unless told) is a quiet machine's, stretched by its load */
  waitFor(what: string, pred: (s: DaemonStatus) => boolean, timeoutMs?: number): Promise<DaemonStatus>;
  /** first TCP listen address of an app, as http://host:port */
  url(app: string): Promise<string>;
  /** send `signal` (SIGTERM unless told) and wait for the exit; a tsgid still there after 2 min (× load) is SIGKILLed, with its workers, so a stuck stop fails its test rather than hanging it */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A fresh dir under the OS temp dir, removed when the test file ends (helpers/procs.ts). */
export function tempDir(prefix = 'tsgi-test-'): string {
  return removeAtEnd(mkdtempSync(join(tmpdir(), prefix)));
}

/** Copy fixture apps into dir (so tests may edit them), then write tsgi.yaml. */
export function writeConfig(dir: string, yaml: string, fixtures: string[] = []): string {
  for (const f of fixtures) cpSync(join(FIXTURES, f), join(dir, f.split('/').pop()!), { recursive: true });
  const file = join(dir, 'tsgi.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * Start tsgid on `yaml` (an admin socket added unless it has one) and, unless `wait: false`, wait
 * until every app is running or failed (`timeout`, 20 s unless told, a quiet machine's). If that
 * wait fails, this tsgid and its workers are killed before the error is thrown.
 */
export async function startDaemon(yaml: string, opts: { fixtures?: string[]; dir?: string; wait?: boolean; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<Daemon> {
  const dir = opts.dir ?? tempDir();
  const withAdmin = /^admin:/m.test(yaml) ? yaml : `admin: { listen: "unix:admin.sock" }\n${yaml}`;
  const file = writeConfig(dir, withAdmin, opts.fixtures);
  const proc = track(spawn(process.execPath, [TSGID, '-c', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } }));
  let out = '';
  let stdout = '';
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    stdout += c.toString();
  });
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const socket = join(dir, 'admin.sock');
  const api = <T>(method: string, path: string, body?: unknown) => request<T>(socket, method, path, body);
  const d: Daemon = {
    dir,
    proc,
    socket,
    exited,
    output: () => plainLog(out),
    rawOutput: () => out,
    stdout: () => stdout,
    api,
    status: async () => (await api<DaemonStatus>('GET', '/v1/apps')).body as DaemonStatus,
    app: async (name) => (await api<{ app: AppStatus }>('GET', `/v1/apps/${name}`)).body.app,
    async waitFor(what, pred, timeoutMs = 20_000) {
      let last: DaemonStatus | undefined;
      return waitFor(
        async () => {
          // a throw (not listening yet) is a "not yet"
          last = await d.status();
          return pred(last) && last;
        },
        {
          what,
          timeout: timeoutMs,
          retryOnError: true,
          abort: () => (proc.exitCode === null && proc.signalCode === null ? undefined : `tsgid exited (${proc.exitCode ?? proc.signalCode})`),
          detail: () => `last status: ${JSON.stringify(last, null, 1)}\n--- output ---\n${out}`,
        },
      );
    },
    async url(app) {
      const s = await d.app(app);
      const tcp = s.listen.find((l) => !l.startsWith('unix:'));
      if (tcp === undefined) throw new Error(`${app} has no TCP listener`);
      return `http://${tcp}`;
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const stuck = setTimeout(() => proc.pid !== undefined && killTree(proc.pid), scaled(120_000));
      try {
        return await exited;
      } finally {
        clearTimeout(stuck);
      }
    },
  };
  if (opts.wait !== false) {
    try {
      await d.waitFor('every app running', (s) => s.apps.length > 0 && s.apps.every((a) => a.state === 'running' || a.state === 'failed'), opts.timeout);
    } catch (e) {
      // the caller never gets `d` to stop: kill this tsgid and its workers here, and close its pipes,
      // so neither they nor the pipes keep the test file's process alive
      await abandon(proc);
      throw e;
    }
  }
  return d;
}

/** The address tsgid logs once its admin API is up ("admin API on 127.0.0.1:PORT"): where a TCP admin on port 0 went. */
export function adminAddress(d: Daemon): Promise<string> {
  return waitFor(() => /admin API on (\S+)/.exec(d.output())?.[1], {
    what: 'the admin address in tsgid\'s output ("admin API on …")',
    abort: () => (d.proc.exitCode === null && d.proc.signalCode === null ? undefined : `tsgid exited (${d.proc.exitCode ?? d.proc.signalCode})`),
    detail: () => d.output(),
  });
}

/** tsgid's output with its JSON log records rendered as the text a terminal shows, so tests match messages, not JSON escaping. */
export function plainLog(raw: string): string {
  return raw
    .split('\n')
    .map((line) => (line.startsWith('{') ? prettyLine(line) : line))
    .join('\n');
}

/** GET/POST over the admin unix socket. */
export function request<T>(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath, method, path, agent: false, headers: payload === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text === '' ? {} : JSON.parse(text)) as T }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** One HTTP request on a fresh connection; resolves with status and body text, rejects on a connection error. */
export function get(url: string, opts: { socketPath?: string; headers?: http.OutgoingHttpHeaders; method?: string; body?: string } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, socketPath: opts.socketPath, headers: opts.headers, method: opts.method ?? 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readyPids(s: DaemonStatus, app: string): number[] {
  return (s.apps.find((a) => a.name === app)?.workers ?? []).filter((w) => w.state === 'ready').map((w) => w.pid!);
}
