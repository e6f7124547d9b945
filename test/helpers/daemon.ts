/**
 * Start a real tsgid on a config written into a temp dir, and talk to it through its admin API
 * socket. Waiting helpers poll the daemon's own status until a condition holds or a deadline
 * passes; the deadline is a guard against hanging, never the thing a test asserts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppStatus } from '../../daemon/app-pool.js';
import type { DaemonStatus } from '../../daemon/arbiter.js';
import { prettyLine } from '../../daemon/pretty-print.js';

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
  waitFor(what: string, pred: (s: DaemonStatus) => boolean, timeoutMs?: number): Promise<DaemonStatus>;
  /** first TCP listen address of an app, as http://host:port */
  url(app: string): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function tempDir(prefix = 'tsgi-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Copy fixture apps into dir (so tests may edit them), then write tsgi.yaml. */
export function writeConfig(dir: string, yaml: string, fixtures: string[] = []): string {
  for (const f of fixtures) cpSync(join(FIXTURES, f), join(dir, f.split('/').pop()!), { recursive: true });
  const file = join(dir, 'tsgi.yaml');
  writeFileSync(file, yaml);
  return file;
}

export async function startDaemon(yaml: string, opts: { fixtures?: string[]; dir?: string; wait?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Daemon> {
  const dir = opts.dir ?? tempDir();
  const withAdmin = /^admin:/m.test(yaml) ? yaml : `admin: { listen: "unix:admin.sock" }\n${yaml}`;
  const file = writeConfig(dir, withAdmin, opts.fixtures);
  const proc = spawn(process.execPath, [TSGID, '-c', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
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
      const deadline = Date.now() + timeoutMs;
      let last: DaemonStatus | undefined;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`tsgid exited (${proc.exitCode}) while waiting for ${what}\n${out}`);
        try {
          last = await d.status();
          if (pred(last)) return last;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last, null, 1)}\n--- output ---\n${out}`);
        await delay(50);
      }
    },
    async url(app) {
      const s = await d.app(app);
      const tcp = s.listen.find((l) => !l.startsWith('unix:'));
      if (tcp === undefined) throw new Error(`${app} has no TCP listener`);
      return `http://${tcp}`;
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  if (opts.wait !== false) {
    await d.waitFor('every app running', (s) => s.apps.length > 0 && s.apps.every((a) => a.state === 'running' || a.state === 'failed'));
  }
  return d;
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
