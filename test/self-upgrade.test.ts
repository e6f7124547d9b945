/**
 * tsgictl upgrade with real processes: the running tsgid hands its sockets (TCP, unix, admin) to
 * a new one and drains; nothing is refused or reset under load, five times in a row; a new tsgid
 * that cannot start (a broken config, one that exits at once) leaves the old one serving; an
 * upgrade during a rolling reload.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { delay, get, pidAlive, startDaemon, tempDir, TSGICTL, type Daemon } from './helpers/daemon.js';
import { freePort } from './helpers/nginx.js';
import { keepAliveLoad } from './helpers/load.js';
import { scrape, value } from './helpers/metrics.js';
import { waitFor } from './helpers/wait.js';

const yaml = (port: number): string => `
apps:
  web:
    app: ./versioned.mjs
    listen: ["127.0.0.1:${port}", "unix:web.sock"]
    workers: 2
    user: ${process.getuid?.() === 0 ? 'root' : '~'}
`;

/** every tsgid a test started or an upgrade made, stopped at the end whatever happened */
const daemons = new Set<number>();

async function start(env: NodeJS.ProcessEnv = {}): Promise<{ d: Daemon; port: number }> {
  const port = await freePort();
  const d = await startDaemon(yaml(port), { fixtures: ['daemon/versioned.mjs'], env });
  daemons.add(d.proc.pid!);
  return { d, port };
}

function tsgictl(d: Daemon, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSGICTL, '-c', join(d.dir, 'tsgi.yaml'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** A new connection per request, as long as it runs: every error is counted (ECONNREFUSED above all). */
function freshLoad(opts: { url: string; socketPath?: string }, clients = 4): { stop(): Promise<{ ok: number; errors: string[] }> } {
  let running = true;
  const result = { ok: 0, errors: [] as string[] };
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const r = await get(opts.url, { socketPath: opts.socketPath, headers: { connection: 'close' } });
        if (r.status === 200) result.ok++;
        else result.errors.push(`HTTP ${r.status}`);
      } catch (err) {
        result.errors.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

async function upgrade(d: Daemon): Promise<number> {
  const before = (await d.status()).pid;
  const r = tsgictl(d, 'upgrade', '--json');
  assert.equal(r.code, 0, r.out);
  const body = JSON.parse(r.out) as { old_pid: number; new_pid: number };
  assert.equal(body.old_pid, before);
  daemons.add(body.new_pid);
  // the admin socket follows the new process; the old one exits once drained
  await waitFor(async () => (await d.status()).pid === body.new_pid, { what: 'the admin API answered by the new tsgid', timeout: 30_000, retryOnError: true });
  await waitFor(() => !pidAlive(before), { what: `the old tsgid ${before} gone`, timeout: 60_000 });
  assert.equal(readFileSync(join(d.dir, '.tsgi/tsgid.pid'), 'utf8').trim(), String(body.new_pid), 'the pidfile names the new tsgid');
  return body.new_pid;
}

describe('tsgictl upgrade', () => {
  // in the suite, so it runs before the process registry's own check for leftovers
  after(async () => {
    for (const pid of daemons) if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor(() => [...daemons].every((pid) => !pidAlive(pid)), { what: 'every tsgid gone', timeout: 30_000 }).catch(() => {
      for (const pid of daemons) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    });
  });

  it('upgrades 5 times in a row under keep-alive and new-connection load: nothing refused or reset', { timeout: 300_000 }, async () => {
    const { d, port } = await start();
    const url = `http://127.0.0.1:${port}/`;
    const sock = join(d.dir, 'web.sock');
    const keepAlive = keepAliveLoad(url, 10);
    const fresh = freshLoad({ url }, 3);
    const freshUnix = freshLoad({ url: 'http://x/', socketPath: sock }, 2);
    const pids = [(await d.status()).pid];
    for (let i = 0; i < 5; i++) {
      await delay(200);
      pids.push(await upgrade(d));
    }
    await delay(200);
    const [k, f, u] = [await keepAlive.stop(), await fresh.stop(), await freshUnix.stop()];
    assert.deepEqual(k.errors, []);
    assert.deepEqual(f.errors, []);
    assert.deepEqual(u.errors, []);
    assert.ok(k.ok > 50 && f.ok > 20 && u.ok > 10, `the load kept going (${k.ok} keep-alive, ${f.ok} new tcp, ${u.ok} new unix)`);
    assert.equal(new Set(pids).size, 6, 'six tsgid processes in turn');
    const status = await d.status();
    assert.equal(status.upgrades, 5);
    assert.match(status.version, /^\d+\.\d+\.\d+/);
    assert.equal(value(await scrape(d.socket), 'tsgi_daemon_upgrades_total', { result: 'ok' }), 5);
    assert.equal((await get(url)).status, 200);
  });

  it('leaves the old tsgid serving when the new one meets a broken config', { timeout: 120_000 }, async () => {
    const { d, port } = await start();
    const file = join(d.dir, 'tsgi.yaml');
    const good = readFileSync(file, 'utf8');
    const pid = (await d.status()).pid;
    writeFileSync(file, `${good}\nnot_a_setting: 1\n`);
    const load = freshLoad({ url: `http://127.0.0.1:${port}/` }, 2);
    const r = tsgictl(d, 'upgrade');
    const result = await load.stop();
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /not_a_setting: unknown key/);
    assert.match(r.out, /TSGI_ERR_DAEMON_UPGRADE_FAILED|keeps serving/);
    assert.deepEqual(result.errors, []);
    assert.equal((await d.status()).pid, pid, 'the old tsgid still answers the admin API');
    assert.equal(readFileSync(join(d.dir, '.tsgi/tsgid.pid'), 'utf8').trim(), String(pid));
    assert.equal(value(await scrape(d.socket), 'tsgi_daemon_upgrades_total', { result: 'failed' }), 1);
    // fixed, the same tsgid can still be upgraded
    writeFileSync(file, good);
    await upgrade(d);
  });

  it('leaves the old tsgid serving when the tsgid on disk exits at once', { timeout: 120_000 }, async () => {
    const hookDir = tempDir('tsgi-upgrade-hook-');
    const hook = join(hookDir, 'hook.mjs');
    writeFileSync(hook, '');
    const { d, port } = await start({ NODE_OPTIONS: `--import=${hook}` });
    const pid = (await d.status()).pid;
    // what is now installed dies before it reads anything
    writeFileSync(hook, "if (process.argv[1]?.endsWith('daemon/main.js')) process.exit(7);\n");
    const load = keepAliveLoad(`http://127.0.0.1:${port}/`, 4);
    const r = tsgictl(d, 'upgrade');
    const result = await load.stop();
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /exited \(code 7\)/);
    assert.deepEqual(result.errors, []);
    assert.equal((await d.status()).pid, pid);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
  });

  it('upgrades during a rolling reload: the new tsgid serves the new code, nothing is refused', { timeout: 180_000 }, async () => {
    const { d, port } = await start();
    const url = `http://127.0.0.1:${port}/`;
    const load = keepAliveLoad(url, 6);
    const fresh = freshLoad({ url }, 2);
    const file = join(d.dir, 'versioned.mjs');
    writeFileSync(file, readFileSync(file, 'utf8').replace("const VERSION = 'v1'", "const VERSION = 'v2'"));
    const reload = await d.api('POST', '/v1/apps/web/reload?wait=false');
    assert.equal(reload.status, 202);
    await upgrade(d);
    const [k, f] = [await load.stop(), await fresh.stop()];
    assert.deepEqual(k.errors, []);
    assert.deepEqual(f.errors, []);
    await waitFor(async () => (await d.app('web')).ready === 2, { what: 'web ready in the new tsgid', timeout: 30_000, retryOnError: true });
    for (let i = 0; i < 4; i++) assert.match((await get(url)).body, /^v2 /);
  });

  it('runs the apps added through the admin API in the new tsgid: they are in the config file it reads', { timeout: 120_000 }, async () => {
    const { d } = await start();
    const port = await freePort();
    const added = await d.api('POST', '/v1/apps', { name: 'extra', app: './versioned.mjs', listen: `127.0.0.1:${port}`, workers: 1, ...(process.getuid?.() === 0 ? { user: 'root' } : {}) });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.match(readFileSync(join(d.dir, 'tsgi.yaml'), 'utf8'), /^ {2}extra:/m, 'the add was written back: the hand-over need not carry it');
    await upgrade(d);
    assert.deepEqual((await d.status()).apps.map((a) => a.name).sort(), ['extra', 'web']);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
  });
});
