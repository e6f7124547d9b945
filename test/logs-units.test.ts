/**
 * The log pieces on their own: the rotating writer's limits (a line longer than a file, a
 * queue past its bound, the drop note under rotation), tsgid's stdout under a flood, the live feeds (none leaked), the client address rule, and the
 * settings' errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { notIn } from '../api/routes/logs.js';
import { buildApi } from '../api/server.js';
import { Arbiter } from '../daemon/arbiter/arbiter.js';
import { loadConfig, parseAppInput, parseConfig } from '../daemon/config/index.js';
import { isTsgiError } from '../daemon/errors.js';
import { silentLogger } from '../daemon/log.js';
import { AppLogs } from '../daemon/logs/app-logs.js';
import { queueLimit } from '../daemon/logs/drops.js';
import { RotatingFile } from '../daemon/logs/rotating-file.js';
import { clientAddress } from '../daemon/worker/client-address.js';
import { prettyLine } from '../daemon/pretty-print.js';
import { FIXTURES, tempDir } from './helpers/daemon.js';
import { waitFor } from './helpers/wait.js';

const PRINTER_DIR = join(FIXTURES, 'logs');
const FULL = fileURLToPath(new URL('../../test/fixtures/config/full', import.meta.url));

describe('RotatingFile', () => {
  it('cuts a line longer than max_size, so no file passes it, and marks the cut', async () => {
    const path = join(tempDir(), 'x.log');
    const f = new RotatingFile(path, { maxSize: 1024, keep: 1, gzip: false }, () => {});
    f.write('é'.repeat(2000));
    f.write('next');
    await f.close();
    const [cut, next] = [readFileSync(`${path}.1`, 'utf8'), readFileSync(path, 'utf8')];
    assert.ok(Buffer.byteLength(cut) <= 1024, `${Buffer.byteLength(cut)} bytes`);
    assert.match(cut, /^é+\S* \[cut\]\n$/);
    assert.equal(next, 'next\n');
  });

  it('drops lines past its queue bound, counts them, and says so in the file', async () => {
    const path = join(tempDir(), 'x.log');
    const f = new RotatingFile(path, { maxSize: 0, keep: 0, gzip: false }, () => {});
    const line = 'y'.repeat(1023);
    const total = Math.ceil((f.maxQueued * 1.5) / 1024);
    for (let i = 0; i < total; i++) f.write(line, 'shop stdout'); // all at once: the disk cannot keep up with a loop
    await f.close();
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    const notes = lines.filter((l) => l !== line);
    assert.equal(notes.length, 1, notes.join('\n'));
    const m = /^\S+Z \[tsgi\] (\d+) line\(s\) dropped from \S+Z to \S+Z \(shop stdout: (\d+)\): /.exec(notes[0]!);
    assert.ok(m, notes[0]);
    const dropped = Number(m[1]);
    assert.ok(dropped > 0);
    assert.equal(Number(m[2]), dropped);
    assert.equal(lines.length - 1 + dropped, total, 'every line is written or counted');
    assert.equal(lines.at(-1), notes[0], 'the note follows the lines queued before the drops');
  });

  it('holds about max_size in memory, within 256 KiB and 1 MiB, however fast lines come', () => {
    assert.equal(queueLimit(512 * 1024), 512 * 1024);
    assert.equal(queueLimit(1024), 256 * 1024, 'floor');
    assert.equal(queueLimit(10 * 1024 * 1024), 1024 * 1024, 'ceiling');
    assert.equal(queueLimit(0), 1024 * 1024, 'never rotated: the ceiling');
    const f = new RotatingFile(join(tempDir(), 'x.log'), { maxSize: 400 * 1024, keep: 1, gzip: false }, () => {});
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      f.write(`line ${i} ${'z'.repeat(60)}`, 'a stdout');
      most = Math.max(most, f.queued);
    }
    assert.ok(most <= 400 * 1024, `${most} bytes queued`);
    assert.ok(most > 390 * 1024, `${most} bytes queued: the bound is max_size, not less`);
    return f.close();
  });

  it('keeps the drop note of a flood under rotation: the newest file names the streams, the count and the time', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const path = join(dir, 'x.log');
    // keep enough files to count every line; the note must still be in the newest one
    const f = new RotatingFile(path, { maxSize: 64 * 1024, keep: 200, gzip: false }, () => {});
    const rounds = 30;
    const perRound = 8000; // 480 KB a round: about twice the queue (256 KiB), so about half of each round is dropped
    const start = new Date().toISOString();
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < perRound; i++) f.write(`line ${r * perRound + i} ${'w'.repeat(50)}`, i % 2 === 0 ? 'shop stdout' : 'shop stderr');
      await f.flush();
    }
    await f.close();
    const files = readdirSync(dir).filter((n) => n.startsWith('x.log'));
    assert.ok(files.length > 5, `rotated: ${files.join(' ')}`);
    const current = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    const last = current.at(-1)!;
    const m = /^(\S+Z) \[tsgi\] (\d+) line\(s\) dropped from (\S+Z) to (\S+Z) \(shop stdout: (\d+), shop stderr: (\d+)\): /.exec(last);
    assert.ok(m, `the flood's last line is its drop note, in the current file: ${last}`);
    assert.equal(Number(m[2]), Number(m[5]) + Number(m[6]));
    assert.ok(m[3]! >= start && m[3]! <= m[4]! && m[4]! <= m[1]!, last);
    // every line is in a file or counted by a note: none was dropped unsaid
    const all = files.flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').slice(0, -1));
    const kept = all.filter((l) => l.startsWith('line ')).length;
    const counted = all.filter((l) => l.includes(' [tsgi] ')).reduce((n, l) => n + Number(/\] (\d+) line/.exec(l)![1]), 0);
    assert.ok(counted > 0);
    assert.equal(kept + counted, rounds * perRound);
  });

  it('flush() waits for the lines queued before it, not for lines that keep coming', { timeout: 30_000 }, async () => {
    const path = join(tempDir(), 'x.log');
    const f = new RotatingFile(path, { maxSize: 0, keep: 0, gzip: false }, () => {});
    let n = 0;
    let stop = false;
    // a busy app: new lines on every turn of the event loop, before and after the flush
    const produce = (): void => {
      if (stop) return;
      for (let i = 0; i < 50; i++) f.write(`line-${n++}`);
      setImmediate(produce);
    };
    produce();
    await new Promise((r) => setImmediate(r));
    const before = n;
    await f.flush();
    stop = true;
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    // every line queued before flush() was called, in order (lines after it may be there too)
    assert.deepEqual(lines.slice(0, before), Array.from({ length: before }, (_, i) => `line-${i}`));
    await f.close();
  });

  it('loses no line when the file was moved away before a rotation (an external tool, SIGUSR1 still to come)', async () => {
    const dir = tempDir();
    const path = join(dir, 'x.log');
    const errors: string[] = [];
    const f = new RotatingFile(path, { maxSize: 1024, keep: 3, gzip: false }, (m) => errors.push(m));
    const line = (i: number) => `line-${i}`.padEnd(99, '.');
    for (let i = 0; i < 5; i++) f.write(line(i));
    await f.flush();
    renameSync(path, join(dir, 'moved.log'));
    // 2500 bytes more: the open handle (still the moved file) fills up, and rotation finds no x.log
    for (let i = 5; i < 30; i++) f.write(line(i));
    await f.close();
    assert.deepEqual(errors, []);
    const files = ['moved.log', 'x.log.1', 'x.log'];
    assert.deepEqual(readdirSync(dir).sort(), [...files].sort(), 'nothing shifted for the missing file');
    const lines = files.flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').slice(0, -1));
    assert.deepEqual(lines, Array.from({ length: 30 }, (_, i) => line(i)), 'every line, in order');
  });

  it('shifts a rotated file whose gzip failed instead of overwriting it, and keep still bounds the files', async () => {
    const dir = tempDir();
    const path = join(dir, 'x.log');
    const errors: string[] = [];
    const f = new RotatingFile(path, { maxSize: 1024, keep: 3, gzip: true }, (m) => errors.push(m));
    // 500 bytes a line: two to a file
    const line = (i: number) => `line-${i}`.padEnd(499, '.');
    const write = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) f.write(line(i));
      await f.flush();
    };
    const read = (name: string): string[] => {
      const buf = readFileSync(join(dir, name));
      return (name.endsWith('.gz') ? gunzipSync(buf) : buf).toString().split('\n').slice(0, -1);
    };
    // a directory where the compressed file is written: x.log.1's gzip fails, it stays plain
    const blocker = `${path}.1.gz.tmp`;
    mkdirSync(blocker);
    await write(0, 4);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /x\.log\.1: could not gzip it/);
    assert.deepEqual(read('x.log.1'), [line(0), line(1)]);
    rmdirSync(blocker);
    await write(4, 6);
    assert.deepEqual(readdirSync(dir).sort(), ['x.log', 'x.log.1.gz', 'x.log.2']);
    assert.deepEqual([...read('x.log.2'), ...read('x.log.1.gz'), ...read('x.log')], Array.from({ length: 6 }, (_, i) => line(i)));
    // two more rotations: the plain one moves to x.log.3, then is the oldest and goes
    await write(6, 8);
    assert.deepEqual(readdirSync(dir).sort(), ['x.log', 'x.log.1.gz', 'x.log.2.gz', 'x.log.3']);
    await write(8, 10);
    await f.close();
    assert.deepEqual(readdirSync(dir).sort(), ['x.log', 'x.log.1.gz', 'x.log.2.gz', 'x.log.3.gz']);
    assert.deepEqual([...read('x.log.3.gz'), ...read('x.log.2.gz'), ...read('x.log.1.gz'), ...read('x.log')], Array.from({ length: 8 }, (_, i) => line(i + 2)));
    assert.equal(errors.length, 1, errors.join('\n'));
  });

  it('tells of a file it cannot open, once, and the daemon goes on', async () => {
    const dir = tempDir();
    const errors: string[] = [];
    const f = new RotatingFile(join(dir, 'x.log', 'nested.log'), { maxSize: 0, keep: 0, gzip: false }, (m) => errors.push(m));
    // x.log is a file, so x.log/nested.log cannot be created
    const blocker = new RotatingFile(join(dir, 'x.log'), { maxSize: 0, keep: 0, gzip: false }, () => {});
    blocker.write('I am a file');
    await blocker.close();
    f.write('a');
    f.write('b');
    await f.close();
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /nested\.log: .*dropping lines/);
  });

  it('writes the note of lines lost to a failed write once the file works again, though no line comes after', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const path = join(dir, 'd', 'x.log');
    // d is a file, so d/x.log cannot be created: both lines are dropped
    writeFileSync(join(dir, 'd'), '');
    const f = new RotatingFile(path, { maxSize: 0, keep: 0, gzip: false }, () => {});
    f.write('a', 'shop stdout');
    f.write('b', 'shop stderr');
    await f.flush();
    rmSync(join(dir, 'd'));
    // the pause after the failure ends; nothing else is written
    while (!existsSync(path) || !readFileSync(path, 'utf8').includes('\n')) await new Promise((r) => setTimeout(r, 50));
    assert.match(readFileSync(path, 'utf8'), /^\S+Z \[tsgi\] 2 line\(s\) dropped from \S+Z to \S+Z \(shop stdout: 1, shop stderr: 1\): /);
    await f.close();
  });
});

describe("tsgid's stdout when it cannot keep up (logs.dir unset)", () => {
  it('holds at most maxQueued, drops the rest, and says how many of which stream once it has caught up', { timeout: 60_000 }, () => {
    const dir = tempDir();
    const script = join(dir, 'flood.mjs');
    // a real pipe, the real stdout queue: 10 000 lines written at once cannot all fit in 64 KiB
    writeFileSync(script, `
import { createLogger } from ${JSON.stringify(new URL('../daemon/log.js', import.meta.url).href)};
const log = createLogger({ maxQueued: 64 * 1024 });
for (let i = 0; i < 10000; i++) log.worker('shop', 1, i % 10 === 0 ? 'err' : 'out', 'line ' + i + ' ' + 'v'.repeat(50));
`);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const records = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: string; msg: string; dropped?: number });
    const lines = records.filter((x) => x.msg.startsWith('line '));
    const notes = records.filter((x) => x.level === 'warn' && x.dropped !== undefined);
    assert.ok(notes.length >= 1, r.stdout.slice(-500));
    assert.ok(lines.length < 10000, 'some were dropped');
    for (const n of notes) assert.match(n.msg, /^\d+ line\(s\) dropped from \S+Z to \S+Z \(shop stdout: \d+(, shop stderr: \d+)?\): tsgid's stdout could not keep up$/);
    assert.equal(lines.length + notes.reduce((sum, n) => sum + n.dropped!, 0), 10000, 'every line written or counted');
  });
});

describe('AppLogs feeds', () => {
  it('a follower gets new lines of its stream; unsubscribing and closing leave none behind', async () => {
    const logs = new AppLogs({ max_size: 0, keep: 0, gzip: false }, silentLogger);
    logs.setApp(parseAppInput('web', { app: './app', listen: '127.0.0.1:0' }, FULL, 8));
    const got: string[] = [];
    const stop = logs.follow('web', 'err', (e) => got.push(e.line), () => {});
    let ended = false;
    logs.follow('web', 'all', () => {}, () => (ended = true));
    assert.equal(logs.followerCount(), 2);
    logs.worker('web', 1, 'out', 'to stdout');
    logs.worker('web', 1, 'err', 'to stderr');
    assert.deepEqual(got, ['to stderr']);
    stop();
    assert.equal(logs.followerCount(), 1);
    await logs.close();
    assert.ok(ended, 'shutdown ends the open feeds (else the admin API could not close)');
    assert.equal(logs.followerCount(), 0);
    assert.deepEqual((await logs.tail('web', 10, 'all')).map((e) => e.line), ['to stdout', 'to stderr']);
  });
});

describe('clientAddress', () => {
  const req = (remoteAddress: string | undefined, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as http.IncomingMessage;

  it('believes X-Forwarded-For only from a trusted peer, and takes the right-most untrusted hop', () => {
    assert.equal(clientAddress(req('127.0.0.1', '1.1.1.1'), ['127.0.0.1']), '1.1.1.1');
    assert.equal(clientAddress(req('::ffff:127.0.0.1', '1.1.1.1'), ['127.0.0.1']), '1.1.1.1');
    assert.equal(clientAddress(req('10.0.0.5', '1.1.1.1'), ['127.0.0.1']), '10.0.0.5');
    assert.equal(clientAddress(req('127.0.0.1', 'forged, 2.2.2.2, 10.0.0.2'), ['127.0.0.1', '10.0.0.2']), '2.2.2.2');
    assert.equal(clientAddress(req('10.9.9.9', 'forged, 2.2.2.2'), ['*']), 'forged');
    assert.equal(clientAddress(req(undefined, '3.3.3.3'), ['127.0.0.1']), '3.3.3.3', 'a unix-socket peer is trusted');
    assert.equal(clientAddress(req(undefined), ['127.0.0.1']), undefined);
    assert.equal(clientAddress(req('127.0.0.1'), ['127.0.0.1']), '127.0.0.1');
  });
});

describe('log settings errors', () => {
  const file = join(FULL, 'tsgi.yaml');
  const fails = (text: string, where: string, message: string): void => {
    assert.throws(
      () => parseConfig(text, file, {}),
      (err: unknown) => {
        assert.ok(isTsgiError(err), String(err));
        assert.equal(err.code, 'TSGI_ERR_CONFIG_INVALID');
        assert.equal(err.message, `${file}:${where}: ${message}`);
        return true;
      },
    );
  };
  const app = (line: string) => `apps:\n  a:\n    app: ./app\n    listen: "127.0.0.1:0"\n    ${line}\n`;

  it('names file, line and key', () => {
    fails('logs:\n  max_size: 100\n', '2:13', 'logs.max_size: expected 0 (no rotation) or at least 1KB, got 100 bytes');
    fails('logs:\n  keep: -1\n', '2:9', 'logs.keep: expected an integer of at least 0, got -1');
    fails('logs:\n  gzip: yes please\n', '2:9', 'logs.gzip: expected true or false, got "yes please"');
    fails('logs:\n  directory: x\n', '2:3', 'logs.directory: unknown key; expected one of dir, max_size, keep, gzip');
    fails(app('access_log_format: apache'), '5:24', 'apps.a.access_log_format: expected one of combined, json, got "apache"');
    fails(app('forwarded_allow_ips: ["127.0.0.1", "localhost"]'), '5:40', 'apps.a.forwarded_allow_ips[1]: expected an IP address or "*", got "localhost"');
    fails(app('forwarded_allow_ips: "10.0.0.1, nope"'), '5:26', 'apps.a.forwarded_allow_ips: expected an IP address or "*", got "nope"');
    fails(app('access_log: ""'), '5:17', 'apps.a.access_log: expected a file path or "-", got ""');
  });
});

describe('the terminal form of the daemon log', () => {
  it('renders JSON records as TIME LEVEL message and TIME [app:worker] line', () => {
    const time = '2026-01-02T03:04:05.678Z';
    assert.equal(prettyLine(JSON.stringify({ level: 'warn', time, msg: 'careful "now"' })), `${time} WARN  careful "now"`);
    assert.equal(prettyLine(JSON.stringify({ level: 'info', time, app: 'web', worker: 2, stream: 'err', msg: 'oops' })), `${time} [web:2] oops`);
    assert.equal(prettyLine(JSON.stringify({ level: 'info', time, app: 'web', stream: 'access', access: { status: 200 }, msg: '' })), `${time} [web access] {"status":200}`);
    assert.equal(prettyLine('not json'), 'not json');
  });
});

describe('GET /v1/apps/:name/logs?follow=true, in process', () => {
  it('drops its subscription when the client goes away, and ends the feed at shutdown', async () => {
    const dir = tempDir('tsgi-logs-api-');
    copyFileSync(join(PRINTER_DIR, 'printer.mjs'), join(dir, 'printer.mjs'));
    writeFileSync(join(dir, 'tsgi.yaml'), 'apps:\n  web:\n    app: ./printer.mjs\n    listen: "127.0.0.1:0"\n');
    const arbiter = new Arbiter(loadConfig(join(dir, 'tsgi.yaml')), silentLogger);
    await arbiter.start();
    const api = buildApi(arbiter);
    await api.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.server.address() as AddressInfo;
    const open = () =>
      new Promise<{ req: ClientRequest; res: IncomingMessage }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/apps/web/logs?follow=true&lines=0', agent: false });
        req.on('response', (res) => resolve({ req, res }));
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await open();
      assert.equal(arbiter.logs.followerCount(), 1);
      first.req.destroy();
      await waitFor(() => arbiter.logs.followerCount() === 0, { what: 'the subscription is dropped', timeout: 10_000, interval: 20 });
      const second = await open();
      const ended = new Promise<void>((resolve) => second.res.on('end', resolve).resume());
      await arbiter.command({ kind: 'shutdown' });
      await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the feed was not ended at shutdown')), 10_000).unref())]);
      assert.equal(arbiter.logs.followerCount(), 0);
    } finally {
      await api.close();
      await arbiter.command({ kind: 'shutdown' }).catch(() => {});
    }
  });
});

describe('GET /v1/apps/:name/logs?follow=true, a client that stops reading', () => {
  it('is cut off once it falls 1MB behind, and its subscription dropped', { timeout: 60_000 }, async () => {
    const dir = tempDir('tsgi-logs-slow-');
    copyFileSync(join(PRINTER_DIR, 'printer.mjs'), join(dir, 'printer.mjs'));
    writeFileSync(join(dir, 'tsgi.yaml'), 'apps:\n  web:\n    app: ./printer.mjs\n    listen: "127.0.0.1:0"\n');
    const arbiter = new Arbiter(loadConfig(join(dir, 'tsgi.yaml')), silentLogger);
    await arbiter.start();
    const api = buildApi(arbiter);
    // a unix socket: its buffers are small, so the daemon's own buffer is what fills
    const socketPath = join(dir, 'admin.sock');
    await api.listen({ path: socketPath });
    const req = httpRequest({ socketPath, path: '/v1/apps/web/logs?follow=true&lines=0', agent: false });
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        req.on('response', resolve);
        req.on('error', reject);
        req.end();
      });
      res.pause(); // and never read
      assert.equal(arbiter.logs.followerCount(), 1);
      const appUrl = `http://${arbiter.appStatus('web').listen[0]}`;
      // 4MB of lines, far more than the 1MB allowed plus what the socket holds
      for (let from = 0; from < 4000; from += 1000) {
        const r = await new Promise<number>((resolve, reject) => {
          httpRequest(`${appUrl}/print?from=${from}&n=1000&pad=1000`, { agent: false }, (r2) => {
            r2.resume();
            r2.on('end', () => resolve(r2.statusCode ?? 0));
          })
            .on('error', reject)
            .end();
        });
        assert.equal(r, 200);
      }
      await waitFor(() => arbiter.logs.followerCount() === 0, { what: 'the subscription is dropped', timeout: 10_000, interval: 20 });
    } finally {
      req.destroy();
      await api.close();
      await arbiter.command({ kind: 'shutdown' });
    }
  });
});

describe('follow: the lines that came while the backlog was read', () => {
  it('are sent unless the backlog already had them, matched by time, worker and text, equal lines counted', () => {
    const at = (ms: number, line: string, worker = 1) => ({ time: `2026-01-01T00:00:00.${String(ms).padStart(3, '0')}Z`, app: 'web', worker, line });
    const backlog = [at(1, 'a'), at(2, 'b'), at(2, 'same')];
    // read back from a file: new objects, and no stream
    const early = [{ ...at(2, 'b'), stream: 'out' as const }, at(2, 'same'), at(2, 'same'), at(2, 'b', 2), at(3, 'c')];
    assert.deepEqual(notIn(backlog, early).map((e) => [e.line, e.worker]), [['same', 1], ['b', 2], ['c', 1]]);
    assert.deepEqual(notIn(backlog, []), []);
    assert.deepEqual(notIn([], [at(5, 'x')]).map((e) => e.line), ['x']);
  });
});
