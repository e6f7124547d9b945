/**
 * systemd socket activation, for real: tsgid serves listening sockets passed as LISTEN_FDS (matched
 * to apps by LISTEN_FDNAMES) instead of binding them, so a connection made while tsgid restarts
 * waits in the socket's backlog and is answered by the next tsgid. hold-fds.mjs stands in for the
 * service manager that restarts tsgid on the same fds: once holding a socket the test bound, once
 * run by systemd-socket-activate, which bound and named it. systemd-socket-activate alone (it
 * execs its command once, restarting nothing) shows the matching by name, the binding of what was
 * not passed, that a config reload keeps the passed sockets, and that an fd no app takes stops
 * tsgid at startup with a message that says why, instead of a bind of its address that fails.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import readline from 'node:readline';
import { describe, it } from 'node:test';
import type { AppStatus } from '../daemon/pool/app-pool.js';
import { TsgiError } from '../daemon/errors.js';
import { takePassedFds } from '../daemon/os/listen-fds.js';
import { FIXTURES, get, plainLog, request, TSGID, tempDir } from './helpers/daemon.js';
import { freePort } from './helpers/nginx.js';
import { track } from './helpers/procs.js';
import { needs, SOCKET_ACTIVATE_TOOL } from './helpers/tools.js';
import { scaled, waitFor } from './helpers/wait.js';

const S = join(FIXTURES, 'systemd');
const ACTIVATE = '/usr/bin/systemd-socket-activate';

/** Poll /v1/ready on the admin socket until 200; the deadline only guards against a hang. */
async function untilReady(socket: string, log: () => string): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const r = await request(socket, 'GET', '/v1/ready').catch(() => undefined);
      last = r?.body;
      return r?.status === 200;
    },
    { what: 'tsgid ready', detail: () => `last: ${JSON.stringify(last)}\n${log()}` },
  );
}

/** An HTTP request on a raw connection, so the test can see it connect before anyone serves it. */
function rawRequest(to: net.NetConnectOpts): { connected: Promise<void>; response: Promise<string> } {
  const socket = net.connect(to);
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

/** A config with the given apps (name → listen list), each serving env-app.mjs. */
function appsConfig(dir: string, apps: Record<string, string[]>): string {
  const cfg = join(dir, 'tsgi.yaml');
  const sections = Object.entries(apps).map(([name, listen]) => `  ${name}:\n    app: ${S}/env-app.mjs\n    listen: ${JSON.stringify(listen)}\n`);
  writeFileSync(cfg, `admin: { listen: "unix:admin.sock" }\napps:\n${sections.join('')}`);
  return cfg;
}

interface Activator {
  proc: ChildProcess;
  /** what the activator and the command it execs printed, stdout and stderr, tsgid's log records as text */
  out(): string;
  exited: Promise<number | null>;
}

/**
 * systemd-socket-activate binding `listen` (named `names`, colon-separated, if given), resolved
 * once it has bound them all; it execs `command` on the first connection.
 */
async function activate(dir: string, listen: string[], names: string | undefined, command: string[]): Promise<Activator> {
  // the activator passes on no environment but what -E names: tsgid runs as root here (CI), and its
  // apps set no user, which it allows only with TSGI_ALLOW_ROOT (set by helpers/daemon.ts)
  const env = ['TSGI_ALLOW_ROOT'].filter((v) => process.env[v] !== undefined).flatMap((v) => ['-E', v]);
  const args = [...listen.flatMap((l) => ['-l', l]), ...(names === undefined ? [] : [`--fdname=${names}`]), ...env, '--', ...command];
  const proc = track(spawn(ACTIVATE, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] }));
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // the activator says "Listening on ADDR as FD." for each socket once it has bound them all
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', () => void ((out.match(/Listening on .* as \d+\./g) ?? []).length === listen.length && resolve()));
    void exited.then((code) => reject(new Error(`systemd-socket-activate exited ${code}: ${out}`)));
  });
  return { proc, out: () => plainLog(out), exited };
}

/** tsgid run by the activator on the first connection, expected to refuse to start: its exit code and output. */
async function refusedStart(dir: string, listen: string[], names: string | undefined, cfg: string): Promise<{ code: number | null; out: string }> {
  const a = await activate(dir, listen, names, [process.execPath, TSGID, '-c', cfg]);
  try {
    const port = Number(listen[0]!.split(':')[1]);
    // the connection that wakes the activator; nobody will answer it
    rawRequest({ host: '127.0.0.1', port }).response.catch(() => {});
    return { code: await a.exited, out: a.out() };
  } finally {
    a.proc.kill('SIGKILL');
  }
}

/** The pids of an app's workers, from the admin API. */
async function workerPids(admin: string, app: string): Promise<number[]> {
  return (await request<{ app: AppStatus }>(admin, 'GET', `/v1/apps/${app}`)).body.app.workers.map((w) => w.pid!);
}

/**
 * Through hold-fds.mjs (stdin: "start"; stdout: its JSON lines): start a tsgid on the held socket,
 * check it serves it (and answers `waiting`, a response to a connection made before it started,
 * if given); stop it; connect while no tsgid runs; start a second one and check it answers that
 * connection, from a worker of its own, without binding the address itself. With `sock`, a held
 * unix socket too, the same way.
 */
async function restartAcross(holder: ChildProcess, dir: string, port: number, waiting: Promise<string> | undefined, sock?: string): Promise<void> {
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
  if (sock !== undefined) {
    assert.equal((await get('http://x/', { socketPath: sock })).status, 200, 'the passed unix socket is served');
    assert.match(log(1)(), /web: serving unix:.* from systemd \(fd 4\)/);
  }

  // a restart: the first tsgid drains and exits…
  process.kill(first, 'SIGTERM');
  assert.equal((await next((e) => e.exited === first)).code, 0);
  // …and a client connects while no tsgid runs: the kernel completes it into the held socket's backlog
  const held = rawRequest({ host: '127.0.0.1', port });
  const heldUnix = sock === undefined ? undefined : rawRequest({ path: sock });
  await Promise.all([held.connected, heldUnix?.connected]);
  holder.stdin!.write('start\n');
  const second = (await next((e) => 'started' in e && e.started !== first)).started as number;
  const answer = await held.response;
  assert.match(answer, /^HTTP\/1\.1 200 /, answer);
  const served2 = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { pid: number };
  assert.notEqual(served2.pid, served1.pid, 'answered by a worker of the second tsgid');
  if (heldUnix !== undefined) {
    const unixAnswer = await heldUnix.response;
    assert.match(unixAnswer, /^HTTP\/1\.1 200 /, `on the unix socket: ${unixAnswer}`);
    assert.equal((JSON.parse(unixAnswer.slice(unixAnswer.indexOf('\r\n\r\n') + 4)) as { pid: number }).pid, served2.pid, 'by the second tsgid');
  }
  assert.doesNotMatch(log(2)(), /EADDRINUSE|in use/, 'the second tsgid did not try to bind the address');
  process.kill(second, 'SIGTERM');
  assert.equal((await next((e) => e.exited === second)).code, 0);
}

describe('systemd socket activation', () => {
  // each awaits the activator's and the launcher's lines, which have no deadline of their own
  const ACTIVATED = { ...needs(SOCKET_ACTIVATE_TOOL), timeout: scaled(90_000) };

  it('takes LISTEN_FDS only when LISTEN_PID is its own, names them, and removes the variables', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_FDS: '3', LISTEN_PID: '4242', LISTEN_FDNAMES: 'shop:shop:blog', PATH: '/bin' };
    const passed = takePassedFds(env, 4242);
    assert.deepEqual(env, { PATH: '/bin' }, 'the workers inherit none of them');
    passed.check(['shop', 'blog']);
    assert.deepEqual(passed.take('shop', 2), [{ fd: 3, name: 'shop' }, { fd: 4, name: 'shop' }]);
    assert.deepEqual(passed.take('shop', 2), [], 'handed out once');
    assert.deepEqual(passed.take('blog', 2), [{ fd: 5, name: 'blog' }]);
    const other = { LISTEN_FDS: '1', LISTEN_PID: '1' };
    assert.deepEqual(takePassedFds(other, 4242).all, [], 'fds meant for another process are not ours');
    assert.deepEqual(other, {});
    // no LISTEN_FDNAMES, or systemd's default name (the .socket unit's): one app takes them all, several cannot tell
    assert.deepEqual(takePassedFds({ LISTEN_FDS: '1', LISTEN_PID: '7' }, 7).take('only', 1), [{ fd: 3, name: 'unknown' }]);
    assert.deepEqual(takePassedFds({ LISTEN_FDS: '1', LISTEN_PID: '7', LISTEN_FDNAMES: 'tsgid.socket' }, 7).take('only', 1), [{ fd: 3, name: 'tsgid.socket' }]);
    assert.deepEqual(takePassedFds({ LISTEN_FDS: '1', LISTEN_PID: '7' }, 7).take('one', 2), []);
  });

  it('refuses fds no app takes, naming each fd, its name or that it has none, and the apps', () => {
    const passed = (names?: string): ReturnType<typeof takePassedFds> => takePassedFds({ LISTEN_FDS: '2', LISTEN_PID: '7', ...(names === undefined ? {} : { LISTEN_FDNAMES: names }) }, 7);
    const refused = (message: RegExp) => ({ code: 'TSGI_ERR_LISTEN_FD_UNMATCHED', message });
    const fix = /; set FileDescriptorName= in each \.socket unit to the name of the app its sockets are for \(systemd passes it to tsgid as LISTEN_FDNAMES\)$/;
    assert.throws(() => passed('web:ghost').check(['web', 'blog']), refused(/^LISTEN_FDS: fd 4 is named "ghost", which is no app's name \(apps: web, blog\)/));
    assert.throws(() => passed('web:ghost').check(['web', 'blog']), refused(fix));
    assert.throws(() => passed().check(['web', 'blog']), refused(/^LISTEN_FDS: fd 3 has no name \(LISTEN_FDNAMES does not name it\), so it could be for any of the 2 apps; fd 4 has no name .* \(apps: web, blog\)/));
    assert.throws(() => passed('tsgid.socket:tsgid.socket').check(['web', 'blog']), refused(/fd 3 has only systemd's default name, "tsgid\.socket", so it could be for any of the 2 apps/));
    assert.throws(() => passed().check([]), refused(/fd 3 has no name .*, so it is for no app; .*\(the config has no apps\)/));
    passed().check(['web']);
    passed('tsgid.socket:web').check(['web']);
  });

  it('adds the passed fds to an "in use" error, and what to set, only when systemd passed any', () => {
    const inUse = new TsgiError('TSGI_ERR_LISTEN_IN_USE', 'apps.web.listen: 127.0.0.1:8000 is already in use by another process');
    const explained = takePassedFds({ LISTEN_FDS: '2', LISTEN_PID: '7', LISTEN_FDNAMES: 'blog' }, 7).explainInUse(inUse, 'web');
    assert.ok(explained instanceof TsgiError);
    assert.equal(explained.code, 'TSGI_ERR_LISTEN_IN_USE');
    assert.match(explained.message, /^apps\.web\.listen: 127\.0\.0\.1:8000 is already in use by another process; systemd passed tsgid fd 3 \("blog"\), fd 4 \(unnamed\) \(LISTEN_FDS\): if systemd holds this address, set FileDescriptorName=web in its \.socket unit/);
    assert.equal(takePassedFds({}, 7).explainInUse(inUse, 'web'), inUse, 'no fds passed: the error as it was');
    const failed = new TsgiError('TSGI_ERR_LISTEN_FAILED', 'apps.web.listen: cannot listen');
    assert.equal(takePassedFds({ LISTEN_FDS: '1', LISTEN_PID: '7' }, 7).explainInUse(failed, 'web'), failed, 'only "in use" is about the fds');
  });

  it('serves a passed socket, and a connection made while tsgid restarts is answered by the next tsgid', { timeout: scaled(90_000) }, async () => {
    const dir = tempDir();
    // the test binds the socket, as systemd would, and hands it to the stand-in for the .socket unit
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const cfg = appsConfig(dir, { web: [`127.0.0.1:${port}`] });
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const holder = track(spawn(process.execPath, [join(S, 'hold-fds.mjs'), 'web', join(dir, 'tsgid'), TSGID, '-c', cfg], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit', fd] }));
    // from here only the holder (and the tsgids it starts) has the socket; the test never accepted on it
    server.close();
    try {
      await restartAcross(holder, dir, port, undefined);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('through systemd-socket-activate too: the TCP and unix sockets it bound outlive a tsgid, and the next one answers what waited', ACTIVATED, async () => {
    const dir = tempDir();
    const port = await freePort();
    const sock = join(dir, 'web.sock');
    const cfg = appsConfig(dir, { web: [`127.0.0.1:${port}`, `unix:${sock}`] });
    // the activator binds and names the sockets, then (on the first connection) execs the holder,
    // which plays the service manager's part of restarting tsgid on the fds it was passed
    const a = await activate(dir, [`127.0.0.1:${port}`, sock], 'web:web', [process.execPath, join(S, 'hold-fds.mjs'), '-', join(dir, 'tsgid'), TSGID, '-c', cfg]);
    try {
      // this connection wakes the activator, which execs the holder; it waits until a tsgid starts
      const first = rawRequest({ host: '127.0.0.1', port });
      await first.connected;
      await restartAcross(a.proc, dir, port, first.response, sock);
    } finally {
      a.proc.kill('SIGKILL');
    }
  });

  it('through systemd-socket-activate: matches fds to apps by name, binds unlisted addresses, serves unlisted fds, keeps passed sockets on SIGHUP', ACTIVATED, async () => {
    const dir = tempDir();
    const cfg = join(dir, 'tsgi.yaml');
    const [port, unlisted] = [await freePort(), await freePort()];
    const sock = join(dir, 'web.sock');
    const yaml = (listen: string, workers: number) => `admin: { listen: "unix:admin.sock" }\napps:\n  web:\n    app: ${S}/env-app.mjs\n    listen: ${listen}\n    workers: ${workers}\n`;
    writeFileSync(cfg, yaml(`["127.0.0.1:${port}", "unix:${sock}", "127.0.0.1:0"]`, 1));
    const a = await activate(dir, [`127.0.0.1:${port}`, sock, `127.0.0.1:${unlisted}`], 'web:web:web', [process.execPath, TSGID, '-c', cfg]);
    const out = a.out;
    try {
      // the activator starts tsgid on the first connection; tsgid answers that very connection
      const r = await get(`http://127.0.0.1:${port}/`);
      assert.equal(r.status, 200, out());
      assert.equal((JSON.parse(r.body) as { LISTEN_FDS: string | null }).LISTEN_FDS, null);
      const admin = join(dir, 'admin.sock');
      await untilReady(admin, out);
      assert.equal((await get('http://x/', { socketPath: sock })).status, 200, 'the passed unix socket is served');
      const status = (await request<{ app: { listen: string[] } }>(admin, 'GET', '/v1/apps/web')).body.app;
      const bound = status.listen.find((l) => l.startsWith('127.0.0.1:') && ![port, unlisted].includes(Number(l.split(':')[1])))!;
      assert.equal(status.listen.length, 4);
      assert.equal((await get(`http://${bound}/`)).status, 200, 'an address with no passed fd is bound as usual');
      assert.equal((await get(`http://127.0.0.1:${unlisted}/`)).status, 200, 'a passed fd at an address the app does not list is served');
      assert.match(out(), new RegExp(`web: serving 127\\.0\\.0\\.1:${unlisted} from systemd \\(fd 5\\), an address its listen list does not name`));

      // a config reload that changes the app (and drops the unix address from its list) keeps systemd's sockets
      writeFileSync(cfg, yaml(`["127.0.0.1:${port}"]`, 2));
      process.kill(a.proc.pid!, 'SIGHUP');
      let s: { ready: number; target: number; state: string } | undefined;
      await waitFor(
        async () => {
          s = (await request<{ app: { ready: number; target: number; state: string } }>(admin, 'GET', '/v1/apps/web')).body.app;
          return s.target === 2 && s.ready === 2 && s.state === 'running';
        },
        { what: 'the reload to finish', detail: () => `last: ${JSON.stringify(s)}\n${out()}` },
      );
      assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
      assert.equal((await get('http://x/', { socketPath: sock })).status, 200, 'the passed unix socket survived the reload');
      await assert.rejects(get(`http://${bound}/`), /ECONNREFUSED/, 'the bound address the new config dropped is closed');
    } finally {
      a.proc.kill('SIGTERM');
    }
    assert.equal(await a.exited, 0, out());
  });

  it('through systemd-socket-activate: two apps, each served on the fds named for it', ACTIVATED, async () => {
    const dir = tempDir();
    const [webPort, blogPort] = [await freePort(), await freePort()];
    const sock = join(dir, 'blog.sock');
    const cfg = appsConfig(dir, { web: [`127.0.0.1:${webPort}`], blog: [`127.0.0.1:${blogPort}`, `unix:${sock}`] });
    const a = await activate(dir, [`127.0.0.1:${webPort}`, `127.0.0.1:${blogPort}`, sock], 'web:blog:blog', [process.execPath, TSGID, '-c', cfg]);
    try {
      // the first connection wakes the activator, which execs tsgid
      const web = await get(`http://127.0.0.1:${webPort}/`);
      const admin = join(dir, 'admin.sock');
      await untilReady(admin, a.out);
      const blog = [await get(`http://127.0.0.1:${blogPort}/`), await get('http://x/', { socketPath: sock })];
      const [webPids, blogPids] = [await workerPids(admin, 'web'), await workerPids(admin, 'blog')];
      for (const [app, r, pids] of [['web', web, webPids], ['blog', blog[0]!, blogPids], ['blog (unix)', blog[1]!, blogPids]] as const) {
        assert.equal(r.status, 200, `${app}: ${r.body}`);
        const pid = (JSON.parse(r.body) as { pid: number }).pid;
        assert.ok(pids.includes(pid), `${app} answered by one of its own workers (${pid} in ${pids})`);
      }
      assert.match(a.out(), new RegExp(`web: serving 127\\.0\\.0\\.1:${webPort} from systemd \\(fd 3\\)\n`));
      assert.match(a.out(), new RegExp(`blog: serving 127\\.0\\.0\\.1:${blogPort} from systemd \\(fd 4\\)\n`));
      assert.match(a.out(), /blog: serving unix:.*blog\.sock from systemd \(fd 5\)\n/);
      assert.doesNotMatch(a.out(), /in use|does not name/, 'every passed socket stood for an address its app lists');
    } finally {
      a.proc.kill('SIGTERM');
    }
    assert.equal(await a.exited, 0, a.out());
  });

  it('through systemd-socket-activate: a config reload that removes an app answers its passed socket 503, and an app added back by that name takes it over', ACTIVATED, async () => {
    const dir = tempDir();
    const [webPort, blogPort] = [await freePort(), await freePort()];
    const cfg = appsConfig(dir, { web: [`127.0.0.1:${webPort}`], blog: [`127.0.0.1:${blogPort}`] });
    const a = await activate(dir, [`127.0.0.1:${webPort}`, `127.0.0.1:${blogPort}`], 'web:blog', [process.execPath, TSGID, '-c', cfg]);
    try {
      assert.equal((await get(`http://127.0.0.1:${webPort}/`)).status, 200);
      const admin = join(dir, 'admin.sock');
      await untilReady(admin, a.out);
      appsConfig(dir, { web: [`127.0.0.1:${webPort}`] });
      const reloaded = await request<{ removed: string[] }>(admin, 'POST', '/v1/config/reload');
      assert.deepEqual(reloaded.body.removed, ['blog'], JSON.stringify(reloaded.body));
      // systemd still holds the socket, so the kernel queues clients on it: they are answered, not stranded
      const orphan = await rawRequest({ host: '127.0.0.1', port: blogPort }).response;
      assert.match(orphan, /^HTTP\/1\.1 503 /, orphan);
      assert.match(orphan, /\r\nRetry-After: \d+\r\n/i);
      assert.match(a.out(), /blog: removed; the socket\(s\) systemd passed for it .* stay open and answer 503/);
      appsConfig(dir, { web: [`127.0.0.1:${webPort}`], blog: [`127.0.0.1:${blogPort}`] });
      const readded = await request<{ added: string[] }>(admin, 'POST', '/v1/config/reload');
      assert.deepEqual(readded.body.added, ['blog'], JSON.stringify(readded.body));
      const back = await get(`http://127.0.0.1:${blogPort}/`);
      assert.equal(back.status, 200, back.body);
      assert.ok((await workerPids(admin, 'blog')).includes((JSON.parse(back.body) as { pid: number }).pid), 'answered by the re-added app');
      assert.doesNotMatch(a.out(), /in use/, 'the address was not bound again');
    } finally {
      a.proc.kill('SIGTERM');
    }
    assert.equal(await a.exited, 0, a.out());
  });

  it('through systemd-socket-activate: an fd named for no app stops tsgid at startup (exit 2), before it binds anything', ACTIVATED, async () => {
    const dir = tempDir();
    const port = await freePort();
    // blog comes first and binds its own address as usual: it must not get that far either
    const cfg = appsConfig(dir, { blog: ['127.0.0.1:0'], web: [`127.0.0.1:${port}`] });
    const { code, out } = await refusedStart(dir, [`127.0.0.1:${port}`], 'shop', cfg);
    assert.equal(code, 2, out);
    assert.match(out, /tsgid: LISTEN_FDS: fd 3 is named "shop", which is no app's name \(apps: blog, web\); set FileDescriptorName= in each \.socket unit .*LISTEN_FDNAMES\) \[TSGI_ERR_LISTEN_FD_UNMATCHED\]/);
    assert.doesNotMatch(out, /in use|\w: listening on/, 'nothing was bound');
  });

  it('through systemd-socket-activate: unnamed fds with two apps stop tsgid at startup (exit 2), saying so', ACTIVATED, async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = appsConfig(dir, { web: [`127.0.0.1:${port}`], blog: ['127.0.0.1:0'] });
    const { code, out } = await refusedStart(dir, [`127.0.0.1:${port}`], undefined, cfg);
    assert.equal(code, 2, out);
    assert.match(out, /tsgid: LISTEN_FDS: fd 3 has no name \(LISTEN_FDNAMES does not name it\), so it could be for any of the 2 apps \(apps: web, blog\); set FileDescriptorName= .* \[TSGI_ERR_LISTEN_FD_UNMATCHED\]/);
    assert.doesNotMatch(out, /in use|\w: listening on/);
  });

  it('through systemd-socket-activate: an address in use while fds were passed names them and FileDescriptorName=', ACTIVATED, async () => {
    const dir = tempDir();
    const port = await freePort();
    // the socket at web's address is named for blog: blog takes it, web cannot bind it
    const cfg = appsConfig(dir, { web: [`127.0.0.1:${port}`], blog: ['127.0.0.1:0'] });
    const { code, out } = await refusedStart(dir, [`127.0.0.1:${port}`], 'blog', cfg);
    assert.equal(code, 2, out);
    assert.match(out, new RegExp(`tsgid: \\S+/tsgi\\.yaml:\\d+:\\d+: apps\\.web\\.listen: 127\\.0\\.0\\.1:${port} is already in use by another process; systemd passed tsgid fd 3 \\("blog"\\) \\(LISTEN_FDS\\): if systemd holds this address, set FileDescriptorName=web in its \\.socket unit .* \\[TSGI_ERR_LISTEN_IN_USE\\]`));
  });
});
