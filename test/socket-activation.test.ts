/**
 * systemd socket activation, for real: tsgid serves listening sockets passed as LISTEN_FDS (matched
 * to apps by LISTEN_FDNAMES) instead of binding them, so a connection made while tsgid restarts
 * waits in the socket's backlog and is answered by the next tsgid. hold-fds.mjs stands in for the
 * service manager that restarts tsgid on the same fds: once holding a socket the test bound, once
 * run by systemd-socket-activate, which bound and named it. systemd-socket-activate alone (it
 * execs its command once, restarting nothing) shows the matching by name, the binding of what was
 * not passed, and that a config reload keeps the passed sockets.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import readline from 'node:readline';
import { describe, it } from 'node:test';
import { takePassedFds } from '../daemon/listen-fds.js';
import { FIXTURES, get, request, TSGID, tempDir } from './helpers/daemon.js';
import { freePort } from './helpers/nginx.js';

const S = join(FIXTURES, 'systemd');
const ACTIVATE = '/usr/bin/systemd-socket-activate';

/** Poll /v1/ready on the admin socket until 200; the deadline only guards against a hang. */
async function untilReady(socket: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await request(socket, 'GET', '/v1/ready').catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`tsgid not ready; last: ${JSON.stringify(r?.body)}\n${log()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** An HTTP request on a raw connection, so the test can see it connect before anyone serves it. */
function rawRequest(port: number): { connected: Promise<void>; response: Promise<string> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const response = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  socket.write('GET /held HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  return { connected, response };
}

/** The launcher's JSON lines, awaited one kind at a time. */
function events(proc: ChildProcess): (pred: (e: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }> = [];
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as Record<string, unknown>;
    seen.push(e);
    for (const w of [...waiters]) if (w.pred(e)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  return (pred) => {
    const hit = seen.find(pred);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve) => waiters.push({ pred, resolve }));
  };
}

/** A config with one app, `web`, listening where the passed socket is. */
function webConfig(dir: string, port: number): string {
  const cfg = join(dir, 'tsgi.yaml');
  writeFileSync(cfg, `admin: { listen: "unix:admin.sock" }\napps:\n  web:\n    app: ${S}/env-app.mjs\n    listen: "127.0.0.1:${port}"\n`);
  return cfg;
}

/**
 * Through hold-fds.mjs (stdin: "start"; stdout: its JSON lines): start a tsgid on the held socket,
 * check it serves it (and answers `waiting`, a response to a connection made before it started,
 * if given); stop it; connect while no tsgid runs; start a second one and check it answers that
 * connection, from a worker of its own, without binding the address itself.
 */
async function restartAcross(holder: ChildProcess, dir: string, port: number, waiting: Promise<string> | undefined): Promise<void> {
  const next = events(holder);
  const log = (n: number) => () => readFileSync(join(dir, `tsgid.${n}.log`), 'utf8');
  const admin = join(dir, 'admin.sock');
  await next((e) => 'holding' in e);
  holder.stdin!.write('start\n');
  const first = (await next((e) => 'started' in e)).started as number;
  if (waiting !== undefined) assert.match(await waiting, /^HTTP\/1\.1 200 /, 'the connection that woke the activator is answered');
  await untilReady(admin, log(1));
  const r1 = await get(`http://127.0.0.1:${port}/`);
  assert.equal(r1.status, 200);
  const served1 = JSON.parse(r1.body) as { pid: number; LISTEN_FDS: string | null; LISTEN_PID: string | null };
  assert.deepEqual([served1.LISTEN_FDS, served1.LISTEN_PID], [null, null], 'workers do not inherit the activation variables');
  assert.match(log(1)(), new RegExp(`web: serving 127\\.0\\.0\\.1:${port} from systemd \\(fd 3\\)`));

  // a restart: the first tsgid drains and exits…
  process.kill(first, 'SIGTERM');
  assert.equal((await next((e) => e.exited === first)).code, 0);
  // …and a client connects while no tsgid runs: the kernel completes it into the held socket's backlog
  const held = rawRequest(port);
  await held.connected;
  holder.stdin!.write('start\n');
  const second = (await next((e) => 'started' in e && e.started !== first)).started as number;
  const answer = await held.response;
  assert.match(answer, /^HTTP\/1\.1 200 /, answer);
  const served2 = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { pid: number };
  assert.notEqual(served2.pid, served1.pid, 'answered by a worker of the second tsgid');
  assert.doesNotMatch(log(2)(), /EADDRINUSE|in use/, 'the second tsgid did not try to bind the address');
  process.kill(second, 'SIGTERM');
  assert.equal((await next((e) => e.exited === second)).code, 0);
}

describe('systemd socket activation', () => {
  it('takes LISTEN_FDS only when LISTEN_PID is its own, names them, and removes the variables', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_FDS: '3', LISTEN_PID: '4242', LISTEN_FDNAMES: 'shop:shop:blog', PATH: '/bin' };
    const passed = takePassedFds(env, 4242);
    assert.deepEqual(env, { PATH: '/bin' }, 'the workers inherit none of them');
    assert.deepEqual(passed.take('shop', 2), [{ fd: 3, name: 'shop' }, { fd: 4, name: 'shop' }]);
    assert.deepEqual(passed.take('shop', 2), [], 'handed out once');
    assert.deepEqual(passed.left, [{ fd: 5, name: 'blog' }]);
    const other = { LISTEN_FDS: '1', LISTEN_PID: '1' };
    assert.deepEqual(takePassedFds(other, 4242).left, [], 'fds meant for another process are not ours');
    assert.deepEqual(other, {});
    // no LISTEN_FDNAMES: one app takes them all, several cannot tell
    assert.deepEqual(takePassedFds({ LISTEN_FDS: '1', LISTEN_PID: '7' }, 7).take('only', 1), [{ fd: 3, name: 'unknown' }]);
    assert.deepEqual(takePassedFds({ LISTEN_FDS: '1', LISTEN_PID: '7' }, 7).take('one', 2), []);
  });

  it('serves a passed socket, and a connection made while tsgid restarts is answered by the next tsgid', async () => {
    const dir = tempDir();
    // the test binds the socket, as systemd would, and hands it to the stand-in for the .socket unit
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const cfg = webConfig(dir, port);
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const holder = spawn(process.execPath, [join(S, 'hold-fds.mjs'), 'web', join(dir, 'tsgid'), TSGID, '-c', cfg], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit', fd] });
    // from here only the holder (and the tsgids it starts) has the socket; the test never accepted on it
    server.close();
    try {
      await restartAcross(holder, dir, port, undefined);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('through systemd-socket-activate too: the socket it bound outlives a tsgid, and the next one answers what waited', async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = webConfig(dir, port);
    // the activator binds and names the socket, then (on the first connection) execs the holder,
    // which plays the service manager's part of restarting tsgid on the fds it was passed
    const proc = spawn(ACTIVATE, ['-l', `127.0.0.1:${port}`, '--fdname=web', '--', process.execPath, join(S, 'hold-fds.mjs'), '-', join(dir, 'tsgid'), TSGID, '-c', cfg], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      proc.stderr!.on('data', () => void (/Listening on .* as 3\./.test(err) && resolve()));
      proc.once('exit', (code) => reject(new Error(`systemd-socket-activate exited ${code}: ${err}`)));
    });
    try {
      // this connection wakes the activator, which execs the holder; it waits until a tsgid starts
      const first = rawRequest(port);
      await first.connected;
      await restartAcross(proc, dir, port, first.response);
    } finally {
      proc.kill('SIGKILL');
    }
  });

  it('through systemd-socket-activate: matches fds to apps by name, binds unmatched addresses, warns of strays, keeps passed sockets on SIGHUP', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'tsgi.yaml');
    const [port, stray] = [await freePort(), await freePort()];
    const sock = join(dir, 'web.sock');
    const yaml = (listen: string, workers: number) => `admin: { listen: "unix:admin.sock" }\napps:\n  web:\n    app: ${S}/env-app.mjs\n    listen: ${listen}\n    workers: ${workers}\n`;
    writeFileSync(cfg, yaml(`["127.0.0.1:${port}", "unix:${sock}", "127.0.0.1:0"]`, 1));
    const proc = spawn(ACTIVATE, ['-l', `127.0.0.1:${port}`, '-l', sock, '-l', `127.0.0.1:${stray}`, '--fdname=web:web:ghost', '--', process.execPath, TSGID, '-c', cfg], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    // the activator says "Listening on ADDR as FD." for each socket once it has bound them all
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if ((out.match(/Listening on .* as \d+\./g) ?? []).length === 3) resolve();
      };
      proc.stderr!.on('data', check);
      void exited.then((code) => reject(new Error(`systemd-socket-activate exited ${code}: ${out}`)));
    });
    try {
      // the activator starts tsgid on the first connection; tsgid answers that very connection
      const r = await get(`http://127.0.0.1:${port}/`);
      assert.equal(r.status, 200, out);
      assert.equal((JSON.parse(r.body) as { LISTEN_FDS: string | null }).LISTEN_FDS, null);
      const admin = join(dir, 'admin.sock');
      await untilReady(admin, () => out);
      assert.equal((await get('http://x/', { socketPath: sock })).status, 200, 'the passed unix socket is served');
      const status = (await request<{ app: { listen: string[] } }>(admin, 'GET', '/v1/apps/web')).body.app;
      const bound = status.listen.find((l) => l.startsWith('127.0.0.1:') && l !== `127.0.0.1:${port}`)!;
      assert.equal(status.listen.length, 3);
      assert.equal((await get(`http://${bound}/`)).status, 200, 'an address with no passed fd is bound as usual');
      assert.match(out, /fd 5 is named ghost, which is no app's name/);

      // a config reload that changes the app (and drops the unix address from its list) keeps systemd's sockets
      writeFileSync(cfg, yaml(`["127.0.0.1:${port}"]`, 2));
      process.kill(proc.pid!, 'SIGHUP');
      const deadline = Date.now() + 20_000;
      for (;;) {
        const s = (await request<{ app: { ready: number; target: number; state: string } }>(admin, 'GET', '/v1/apps/web')).body.app;
        if (s.target === 2 && s.ready === 2 && s.state === 'running') break;
        if (Date.now() > deadline) throw new Error(`reload did not finish: ${JSON.stringify(s)}\n${out}`);
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
      assert.equal((await get('http://x/', { socketPath: sock })).status, 200, 'the passed unix socket survived the reload');
      await assert.rejects(get(`http://${bound}/`), /ECONNREFUSED/, 'the bound address the new config dropped is closed');
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
  });
});
