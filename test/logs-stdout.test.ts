/**
 * With no `logs.dir` (the container convention): workers' lines are JSON records on tsgid's
 * stdout beside its own, and tsgid keeps the last ones in memory for `GET /v1/apps/:name/logs`,
 * `follow=true` (server-sent events) and `tsgictl logs [-f]`. On a terminal the same records are
 * text: tsgid run under a real pty.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogEntry } from '../daemon/logs/line-format.js';
import type { AppStatus } from '../daemon/pool/app-pool.js';
import { FIXTURES, get, request, startDaemon, tempDir, TSGICTL, TSGID, writeConfig, type Daemon } from './helpers/daemon.js';
import { track } from './helpers/procs.js';
import { needs, SCRIPT_TOOL } from './helpers/tools.js';
import { waitFor } from './helpers/wait.js';

const PRINTER = join(FIXTURES, 'logs/printer.mjs');
const DEADLINE_MS = 20_000;

type Record = { [key: string]: unknown };

/** Every whole line tsgid wrote on stdout, each of which must be a JSON object. */
function records(d: Daemon): Record[] {
  const lines = d.stdout().split('\n');
  lines.pop(); // '' after the last newline, or a line still being written
  return lines.map((l) => {
    const r: unknown = JSON.parse(l);
    assert.ok(typeof r === 'object' && r !== null && !Array.isArray(r), `a JSON object: ${l}`);
    return r as Record;
  });
}

async function untilRecord(d: Daemon, pred: (r: Record) => boolean): Promise<Record> {
  return waitFor(() => records(d).find(pred), { what: 'a matching record on tsgid\'s stdout', timeout: DEADLINE_MS, interval: 30, detail: () => d.stdout() });
}

function ctl(d: Daemon, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSGICTL, '--socket', d.socket, ...args], { cwd: d.dir, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe('logs without logs.dir: JSON on stdout, the API and tsgictl logs', () => {
  let d: Daemon;
  let url: string;

  before(async () => {
    d = await startDaemon(`
apps:
  web:
    app: ${PRINTER}
    listen: "127.0.0.1:0"
  acc:
    app: ${PRINTER}
    listen: "127.0.0.1:0"
    access_log: "-"
    access_log_format: json
`);
    url = await d.url('web');
  });

  after(async () => {
    await d?.stop();
  });

  it("writes every line of tsgid's stdout as JSON: its own log and the workers' lines, with app, worker and stream", async () => {
    await get(`${url}/print?from=0&n=2`);
    await get(`${url}/err?msg=${encodeURIComponent('a "quoted" problem')}`);
    const out = await untilRecord(d, (r) => r.msg === 'line-1 ');
    assert.deepEqual(Object.keys(out).sort(), ['app', 'level', 'msg', 'stream', 'time', 'worker']);
    assert.equal(out.app, 'web');
    assert.equal(out.worker, 1);
    assert.equal(out.stream, 'out');
    assert.ok(!Number.isNaN(Date.parse(out.time as string)));
    const err = await untilRecord(d, (r) => r.stream === 'err');
    assert.equal(err.msg, 'a "quoted" problem');
    const own = records(d).find((r) => typeof r.msg === 'string' && r.msg.startsWith('web: listening on'));
    assert.equal(own?.level, 'info');
    assert.equal(own.app, undefined);
  });

  it("writes tsgid's own lines as JSON records of level, time and msg (into a pipe; a terminal gets text, below)", async () => {
    const own = await untilRecord(d, (r) => typeof r.msg === 'string' && /^tsgid \d+ running 2 app\(s\)/.test(r.msg));
    assert.deepEqual(Object.keys(own).sort(), ['level', 'msg', 'time']);
    assert.equal(own.level, 'info');
    assert.ok(!Number.isNaN(Date.parse(own.time as string)));
  });

  it('access_log "-" puts the access log on stdout too, a json line kept an object', async () => {
    await get(`${await d.url('acc')}/missing?x=1`);
    const r = await untilRecord(d, (x) => x.app === 'acc' && x.stream === 'access');
    const a = r.access as Record;
    assert.equal(a.url, '/missing?x=1');
    assert.equal(a.status, 404);
    assert.equal(a.remote, '127.0.0.1');
    assert.equal(a.worker, 1);
  });

  it('answers the last lines from memory, by stream', async () => {
    await get(`${url}/print?from=10&n=3`);
    await untilRecord(d, (r) => r.msg === 'line-12 ');
    const r = await d.api<{ lines: LogEntry[] }>('GET', '/v1/apps/web/logs?lines=2&stream=out');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.lines.map((e) => [e.line, e.stream, e.worker, e.app]), [['line-11 ', 'out', 1, 'web'], ['line-12 ', 'out', 1, 'web']]);
    const errs = await d.api<{ lines: LogEntry[] }>('GET', '/v1/apps/web/logs?stream=err');
    assert.deepEqual(errs.body.lines.map((e) => e.line), ['a "quoted" problem']);
    const all = await d.api<{ lines: LogEntry[] }>('GET', '/v1/apps/web/logs?lines=4');
    assert.deepEqual(all.body.lines.map((e) => e.line), ['a "quoted" problem', 'line-10 ', 'line-11 ', 'line-12 ']);
  });

  it('refuses bad queries with a coded 4xx, and an unknown app with 404', async () => {
    for (const q of ['lines=abc', 'lines=-1', 'lines=20000', 'stream=both', 'follow=yes', 'colour=red']) {
      const r = await d.api<{ error: { code: string; message: string } }>('GET', `/v1/apps/web/logs?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'TSGI_ERR_API_VALIDATION', q);
    }
    const missing = await d.api<{ error: { code: string } }>('GET', '/v1/apps/ghost/logs');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'TSGI_ERR_APP_NOT_FOUND');
  });

  it('follow=true streams a line printed after subscribing, as a server-sent event', async () => {
    const events: LogEntry[] = [];
    let arrived: (e: LogEntry) => void = () => {};
    const req = http.request({ socketPath: d.socket, path: '/v1/apps/web/logs?follow=true&lines=0&stream=out', agent: false });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    try {
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!block.startsWith('data: ')) continue;
          const e = JSON.parse(block.slice(6)) as LogEntry;
          events.push(e);
          arrived(e);
        }
      });
      const got = new Promise<LogEntry>((resolve) => (arrived = (e) => e.line === 'line-100 ' && resolve(e)));
      await get(`${url}/err?msg=not-on-stdout`);
      await get(`${url}/print?from=100&n=1`);
      const e = await got;
      assert.equal(e.stream, 'out');
      assert.equal(e.worker, 1);
      assert.ok(events.every((x) => x.stream === 'out'), 'stderr lines are not in an out-only feed');
    } finally {
      req.destroy();
    }
  });

  it('tsgictl logs prints the last lines; -f prints new ones and exits 0 on Ctrl-C', async () => {
    await get(`${url}/print?from=200&n=2`);
    await untilRecord(d, (r) => r.msg === 'line-201 ');
    const last = await ctl(d, 'logs', 'web', '-n', '2', '--out');
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stdout, /^\S+Z \[web:1\] line-200 \n\S+Z \[web:1\] line-201 \n$/);
    const json = await ctl(d, 'logs', 'web', '-n', '1', '--json');
    assert.equal((JSON.parse(json.stdout) as { lines: LogEntry[] }).lines[0]?.line, 'line-201 ');
    assert.equal((await ctl(d, 'logs', 'web', '--out', '--err')).code, 2);
    assert.equal((await ctl(d, 'logs', 'web', '-n', 'many')).code, 2);
    assert.equal((await ctl(d, 'logs', 'ghost')).code, 1);

    const follow = track(spawn(process.execPath, [TSGICTL, '--socket', d.socket, 'logs', 'web', '-f', '-n', '1', '--out'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const exited = new Promise<number | null>((resolve) => follow.once('exit', (code) => resolve(code)));
    let out = '';
    const seen = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (re.test(out)) resolve();
        };
        follow.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          check();
        });
        void exited.then((code) => reject(new Error(`tsgictl logs -f exited ${code}: ${out}`)));
        check();
      });
    // the backlog line shows that it is subscribed
    await seen(/line-201 \n/);
    await get(`${url}/print?from=300&n=1`);
    await seen(/\[web:1\] line-300 \n/);
    follow.kill('SIGINT');
    assert.equal(await exited, 0);
  });
});

describe("tsgid's own log on a terminal", () => {
  it('is TIME LEVEL message, and TIME [app:worker] line for a worker, when stdout is a pty (script(1) gives it one)', needs(SCRIPT_TOOL), async () => {
    const dir = tempDir();
    const file = writeConfig(dir, `admin: { listen: "unix:admin.sock" }\napps:\n  web:\n    app: ${PRINTER}\n    listen: "127.0.0.1:0"\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete env.NO_COLOR;
    // exec: tsgid itself is script's child, so it gets our SIGTERM and script exits with its status
    const child = track(spawn('script', ['-qfec', `exec "${process.execPath}" "${TSGID}" -c "${file}"`, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env }));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let raw = '';
    child.stdout!.on('data', (c: Buffer) => (raw += c.toString()));
    // what the terminal shows, without colour codes and the pty's carriage returns
    const text = () => raw.replace(/\x1b\[[0-9;]*m/g, '').replaceAll('\r', '');
    const until = (re: RegExp): Promise<RegExpExecArray> =>
      waitFor(() => re.exec(text()), {
        what: `${re} on the terminal`,
        timeout: DEADLINE_MS,
        interval: 30,
        abort: () => (child.exitCode === null ? undefined : `script exited (${child.exitCode})`),
        detail: () => raw,
      });
    let pid: number | undefined;
    try {
      const started = await until(/^(\S+) INFO {2}tsgid (\d+) running 1 app\(s\) from \S+; admin API on unix:\S+$/m);
      assert.ok(!Number.isNaN(Date.parse(started[1]!)), started[1]);
      pid = Number(started[2]);
      const app = await waitFor(async () => {
        const a = (await request<{ app: AppStatus }>(join(dir, 'admin.sock'), 'GET', '/v1/apps/web')).body.app;
        return a.state === 'running' && a;
      }, {
        what: 'web runs',
        timeout: DEADLINE_MS,
        interval: 30,
      });
      await get(`http://${app.listen.find((l) => !l.startsWith('unix:'))}/print?from=0&n=1`);
      await until(/^\S+Z \[web:1\] line-0 $/m);
      assert.ok(raw.includes('\x1b[2m'), 'in colour: the time dimmed');
      assert.ok(!text().split('\n').some((l) => l.startsWith('{')), 'no JSON record on the terminal');
    } finally {
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
      else child.kill();
    }
    assert.equal(await exited, 0, raw);
    assert.match(text(), /^\S+Z INFO {2}SIGTERM: graceful shutdown$/m);
  });
});
