/**
 * Apps' logs in files, written by a real tsgid from real workers: rotation by size capped at
 * `keep` files with no line lost, split or repeated; gzip of rotated files; SIGUSR1 reopening a
 * file an external logrotate moved; the access log in both formats, with X-Forwarded-For
 * believed only from trusted peers.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { LogEntry } from '../daemon/logs/line-format.js';
import { FIXTURES, get, startDaemon, type Daemon } from './helpers/daemon.js';
import { openEvents } from './helpers/sse.js';
import { waitFor } from './helpers/wait.js';

const PRINTER = join(FIXTURES, 'logs/printer.mjs');
const MAX = 64 * 1024;
const PAD = 80;
const DEADLINE_MS = 20_000;

/** Print lines [0, total) from the app, in requests of `per` lines (24 KB: well under the 256 KiB a log holds unwritten), each written before the next. */
async function print(d: Daemon, app: string, total: number, per = 200): Promise<void> {
  const url = await d.url(app);
  for (let from = 0; from < total; from += per) {
    const n = Math.min(per, total - from);
    const r = await get(`${url}/print?from=${from}&n=${n}&pad=${PAD}`);
    assert.equal(r.status, 200);
    // paced by the file: a log holds only about max_size unwritten, and a producer faster than
    // the rotations would (rightly) see lines dropped
    await untilLastLine(d, app, (l) => l !== undefined && l.startsWith(`line-${from + n - 1} `));
  }
}

/** Waits until `pred` holds of the app's newest stdout line, read through the API (which flushes the file first). */
async function untilLastLine(d: Daemon, app: string, pred: (line: string | undefined) => boolean, stream = 'out'): Promise<void> {
  let last: LogEntry | undefined;
  await waitFor(
    async () => {
      const r = await d.api<{ lines: LogEntry[] }>('GET', `/v1/apps/${app}/logs?lines=1&stream=${stream}`);
      last = r.body.lines.at(-1);
      return pred(last?.line);
    },
    { what: `${app}'s last ${stream} line to match`, timeout: DEADLINE_MS, detail: () => `last line: ${JSON.stringify(last)}\n${d.output()}` },
  );
}

/** Line numbers in a file's text, checking each line is whole: time, [app:worker], line-N, the full padding. */
function numbers(text: string, app: string): number[] {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a whole line');
  return lines.map((l) => {
    const m = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\[${app}:\\d+\\] line-(\\d+) x{${PAD}}$`).exec(l);
    assert.ok(m, `a whole line: ${JSON.stringify(l.slice(0, 200))}`);
    return Number(m[1]);
  });
}

function rotated(dir: string, base: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(`${base}.`));
}

function consecutive(ns: number[]): void {
  for (let i = 1; i < ns.length; i++) assert.equal(ns[i], ns[i - 1]! + 1, `line ${ns[i - 1]! + 1} follows line ${ns[i - 1]}, got ${ns[i]}`);
}

describe('log files: rotation, reopen, access log', () => {
  let d: Daemon;

  before(async () => {
    d = await startDaemon(`
logs: { dir: logs, max_size: 64KB, keep: 3 }
apps:
  web:
    app: ${PRINTER}
    listen: "127.0.0.1:0"
  reo:
    app: ${PRINTER}
    listen: "127.0.0.1:0"
  acc:
    app: ${PRINTER}
    listen: ["127.0.0.1:0", "unix:acc.sock"]
    access_log: logs/acc.access.log
  both:
    app: ${PRINTER}
    listen: "127.0.0.1:0"
    stdout_log: logs/both.log
    stderr_log: logs/both.log
  accj:
    app: ${PRINTER}
    listen: "127.0.0.1:0"
    access_log: logs/accj.access.log
    access_log_format: json
    forwarded_allow_ips: ["10.0.0.1"]
`);
  });

  after(async () => {
    await d?.stop();
  });

  it('rotates far past max_size: keep+1 files, each under max_size, the newest lines all there, whole and in order', async () => {
    const total = 12_000; // ~1.4MB of lines: twenty files' worth
    await print(d, 'web', total);
    await untilLastLine(d, 'web', (l) => l !== undefined && l.startsWith(`line-${total - 1} `));
    const dir = join(d.dir, 'logs');
    const files = ['web.out.log.3', 'web.out.log.2', 'web.out.log.1', 'web.out.log'];
    assert.deepEqual(rotated(dir, 'web.out.log').sort(), ['web.out.log.1', 'web.out.log.2', 'web.out.log.3']);
    const all: number[] = [];
    for (const f of files) {
      const size = statSync(join(dir, f)).size;
      assert.ok(size <= MAX, `${f} is ${size} bytes, over max_size`);
      // a rotated file is full: the next line did not fit
      if (f !== 'web.out.log') assert.ok(size > MAX - 200, `${f} was rotated early (${size} bytes)`);
      all.push(...numbers(readFileSync(join(d.dir, 'logs', f), 'utf8'), 'web'));
    }
    consecutive(all);
    assert.equal(all.at(-1), total - 1);
    assert.ok(all[0]! > 0, 'the oldest lines went with the deleted files');
  });

  it("stderr goes to logs.dir/<app>.err.log, stdout's lines not among it", async () => {
    const url = await d.url('web');
    await get(`${url}/err?msg=${encodeURIComponent('something failed')}`);
    const lines = await untilLines(join(d.dir, 'logs/web.err.log'), 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z \[web:\d+\] something failed$/);
    const r = await d.api<{ lines: LogEntry[] }>('GET', '/v1/apps/web/logs?lines=1&stream=err');
    assert.deepEqual(r.body.lines.map((e) => [e.line, e.stream, e.app]), [['something failed', 'err', 'web']]);
  });

  it('follow=true from a file: the last line read back from it, then a line printed after subscribing', async () => {
    const url = await d.url('web');
    await get(`${url}/err?msg=backlog-line`);
    await untilLastLine(d, 'web', (l) => l === 'backlog-line', 'err');
    const feed = await openEvents('http://x/v1/apps/web/logs?follow=true&lines=1&stream=err', { socketPath: d.socket });
    try {
      assert.equal(feed.status, 200);
      const first = await feed.next();
      assert.deepEqual([first.data.line, first.data.stream, first.data.app], ['backlog-line', 'err', 'web']);
      await get(`${url}/print?from=900&n=1`);
      await get(`${url}/err?msg=live-line`);
      const live = await feed.next();
      assert.deepEqual([live.data.line, live.data.stream], ['live-line', 'err'], 'the stdout line is not in an err feed');
    } finally {
      feed.close();
    }
  });

  it('SIGUSR1 reopens a file an external logrotate moved: new lines land in a fresh file at the old path', async () => {
    const dir = join(d.dir, 'logs');
    const url = await d.url('reo');
    await get(`${url}/print?from=0&n=1&pad=${PAD}`);
    await untilLastLine(d, 'reo', (l) => l !== undefined && l.startsWith('line-0 '));
    renameSync(join(dir, 'reo.out.log'), join(dir, 'reo.out.log.moved'));
    // still open: until told, tsgid writes on into the moved file, as logrotate expects
    await get(`${url}/print?from=1&n=1&pad=${PAD}`);
    await untilLastLine(d, 'reo', () => numbers(readFileSync(join(dir, 'reo.out.log.moved'), 'utf8'), 'reo').includes(1));
    const reopened = (d.output().match(/reopened \d+ log file\(s\)/g) ?? []).length;
    d.proc.kill('SIGUSR1');
    await waitFor(() => (d.output().match(/reopened \d+ log file\(s\)/g) ?? []).length !== reopened, { what: 'a "reopened" line', timeout: DEADLINE_MS, interval: 20, detail: () => d.output() });
    await get(`${url}/print?from=2&n=1&pad=${PAD}`);
    await untilLastLine(d, 'reo', (l) => l !== undefined && l.startsWith('line-2 '));
    assert.deepEqual(numbers(readFileSync(join(dir, 'reo.out.log.moved'), 'utf8'), 'reo'), [0, 1]);
    assert.deepEqual(numbers(readFileSync(join(dir, 'reo.out.log'), 'utf8'), 'reo'), [2]);
    assert.equal(d.proc.exitCode, null, 'tsgid lives on');
  });

  it("stdout_log and stderr_log may name one file: both streams in it, in order, read back through the API", async () => {
    const url = await d.url('both');
    await get(`${url}/print?from=7&n=1`);
    await get(`${url}/err?msg=trouble`);
    await get(`${url}/print?from=8&n=1`);
    await untilLastLine(d, 'both', (l) => l === 'line-8 ');
    const text = readFileSync(join(d.dir, 'logs/both.log'), 'utf8');
    assert.match(text, /^\S+Z \[both:1\] line-7 \n\S+Z \[both:1\] trouble\n\S+Z \[both:1\] line-8 \n$/);
    assert.ok(!readdirSync(join(d.dir, 'logs')).some((f) => f.startsWith('both.out') || f.startsWith('both.err')), 'no default files for it');
    const r = await d.api<{ lines: LogEntry[] }>('GET', '/v1/apps/both/logs?lines=3');
    assert.deepEqual(r.body.lines.map((e) => [e.line, e.stream]), [['line-7 ', undefined], ['trouble', undefined], ['line-8 ', undefined]]);
  });

  it('writes a combined access log; X-Forwarded-For counts from a trusted peer (127.0.0.1, a unix socket)', async () => {
    const url = await d.url('acc');
    await get(`${url}/big?q=1`, { headers: { referer: 'http://ref.example/"x"', 'user-agent': 'probe/1.0' } });
    await get(`${url}/missing`, { headers: { 'x-forwarded-for': '203.0.113.9, 127.0.0.1' } });
    await get('http://x/via-unix', { socketPath: join(d.dir, 'acc.sock'), headers: { 'x-forwarded-for': '198.51.100.7' } });
    const file = join(d.dir, 'logs/acc.access.log');
    const lines = await untilLines(file, 3);
    assert.match(lines[0]!, /^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/big\?q=1 HTTP\/1\.1" 200 1234 "http:\/\/ref\.example\/\\x22x\\x22" "probe\/1\.0"$/);
    // the right-most address that is not a trusted proxy is the client
    assert.match(lines[1]!, /^203\.0\.113\.9 - - \[.*\] "GET \/missing HTTP\/1\.1" 404 6 "-" "-"$/);
    assert.match(lines[2]!, /^198\.51\.100\.7 - - \[.*\] "GET \/via-unix HTTP\/1\.1" 200 6 /);
  });

  it('writes a json access log; X-Forwarded-For from a peer not in forwarded_allow_ips is ignored', async () => {
    const url = await d.url('accj');
    await get(`${url}/print?n=0`, { headers: { 'x-forwarded-for': '203.0.113.9', 'user-agent': 'probe/2' } });
    const [line] = await untilLines(join(d.dir, 'logs/accj.access.log'), 1);
    const e = JSON.parse(line!) as Record<string, unknown>;
    assert.equal(e.remote, '127.0.0.1');
    assert.equal(e.method, 'GET');
    assert.equal(e.url, '/print?n=0');
    assert.equal(e.status, 200);
    assert.equal(e.bytes, 'printed 0\n'.length);
    assert.equal(e.user_agent, 'probe/2');
    assert.equal(e.referer, null);
    assert.equal(e.app, 'accj');
    assert.equal(e.worker, 1);
    assert.equal(typeof e.duration_ms, 'number');
    assert.ok(!Number.isNaN(Date.parse(e.time as string)));
  });
});

describe('log files: gzip of rotated files', () => {
  let d: Daemon;

  before(async () => {
    d = await startDaemon(`
logs: { dir: logs, max_size: 64KB, keep: 50, gzip: true }
apps:
  web:
    app: ${PRINTER}
    listen: "127.0.0.1:0"
`);
  });

  after(async () => {
    await d?.stop();
  });

  it('compresses every rotated file, and every line is in exactly one file, whole and in order', async () => {
    const total = 5000; // ~0.6MB: about ten files, none deleted
    await print(d, 'web', total);
    await untilLastLine(d, 'web', (l) => l !== undefined && l.startsWith(`line-${total - 1} `));
    const dir = join(d.dir, 'logs');
    const old = rotated(dir, 'web.out.log');
    assert.ok(old.length >= 5, `rotated files: ${old.join(' ')}`);
    assert.ok(old.every((f) => /^web\.out\.log\.\d+\.gz$/.test(f)), `only .gz rotated files: ${old.join(' ')}`);
    const byAge = old.sort((a, b) => Number(b.split('.')[3]) - Number(a.split('.')[3]));
    const all: number[] = [];
    for (const f of byAge) {
      const text = gunzipSync(readFileSync(join(dir, f))).toString('utf8');
      assert.ok(Buffer.byteLength(text) <= MAX, `${f} held ${Buffer.byteLength(text)} bytes`);
      all.push(...numbers(text, 'web'));
    }
    all.push(...numbers(readFileSync(join(dir, 'web.out.log'), 'utf8'), 'web'));
    assert.deepEqual(all, Array.from({ length: total }, (_, i) => i));
  });
});

async function untilLines(file: string, n: number): Promise<string[]> {
  let text = '';
  return waitFor(
    () => {
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        // not created yet
      }
      const lines = text.split('\n').filter((l) => l !== '');
      return lines.length >= n && lines;
    },
    { what: `${n} lines in ${file}`, timeout: DEADLINE_MS, detail: () => text },
  );
}
