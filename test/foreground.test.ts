/**
 * tsgid as people start it by hand: on a terminal (script(1) gives it a pty) a closed terminal
 * stops it, where a daemon's SIGHUP would re-read the config; and two configs in one folder each
 * get their own pidfile, admin socket and token, with a clear error for a pidfile clash.
 * (`npx tsgid` signalled through npm is tested on the installed package: package-e2e.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIXTURES, TSGICTL, TSGID, delay, pidAlive, request, tempDir } from './helpers/daemon.js';

const APP = join(FIXTURES, 'daemon/node-app.mjs');
const yaml = (name: string) => `apps:\n  ${name}:\n    app: ${APP}\n    listen: "127.0.0.1:0"\n`;

/** Polls until `pred` holds; the deadline only guards against a hang. */
async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

async function answers(socket: string): Promise<boolean> {
  return request(socket, 'GET', '/v1/ready').then(
    (r) => r.status === 200,
    () => false,
  );
}

function readPid(file: string): number {
  return Number.parseInt(readFileSync(file, 'utf8'), 10);
}

function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('on a terminal, SIGHUP stops tsgid', { timeout: 90_000, skip: !hasScript() && 'script(1) is not installed' }, () => {
  const children: ChildProcess[] = [];
  const pids: number[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
  });

  /** tsgid on a pty of its own, as `script -c` gives it; resolves once its admin API answers. */
  async function onPty(dir: string): Promise<{ script: ChildProcess; pid: number; out: () => string }> {
    writeFileSync(join(dir, 'tsgi.yaml'), yaml('web'));
    const script = spawn('script', ['-qfec', `"${process.execPath}" "${TSGID}"`, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(script);
    let out = '';
    script.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await until(`tsgid on a pty to answer\n${out}`, () => answers(join(dir, '.tsgi/admin.sock')));
    const pid = readPid(join(dir, '.tsgi/tsgid.pid'));
    pids.push(pid);
    return { script, pid, out: () => out };
  }

  it('the terminal closing (script killed: the pty hangs up) stops it and its workers', async () => {
    const dir = tempDir();
    const t = await onPty(dir);
    t.script.kill('SIGKILL');
    await until('tsgid to exit after the hang-up', () => !pidAlive(t.pid));
    assert.equal(existsSync(join(dir, '.tsgi/tsgid.pid')), false, 'a clean exit removes the pidfile');
  });

  it('SIGHUP sent to it says so, and it exits', async () => {
    const dir = tempDir();
    const t = await onPty(dir);
    process.kill(t.pid, 'SIGHUP');
    await until('tsgid to exit on SIGHUP', () => !pidAlive(t.pid));
    assert.match(t.out(), /SIGHUP \(terminal closed\): graceful shutdown/);
  });
});

describe('two configs in one folder', { timeout: 90_000 }, () => {
  const dir = tempDir();
  const procs: ChildProcess[] = [];
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  });

  function start(file: string): ChildProcess {
    const p = spawn(process.execPath, [TSGID, '-c', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    return p;
  }

  it('each gets .tsgi/NAME.pid, .sock and its own tsgictl view; a third on the same file is refused by pidfile', async () => {
    writeFileSync(join(dir, 'shop.yaml'), yaml('shop'));
    writeFileSync(join(dir, 'blog.yaml'), yaml('blog'));
    start('shop.yaml');
    start('blog.yaml');
    await until('both daemons to answer', async () => (await answers(join(dir, '.tsgi/shop.sock'))) && (await answers(join(dir, '.tsgi/blog.sock'))));
    for (const name of ['shop', 'blog']) {
      const status = JSON.parse(execFileSync(process.execPath, [TSGICTL, '-c', `${name}.yaml`, 'status', '--json'], { cwd: dir, encoding: 'utf8' })) as { apps: Array<{ name: string }> };
      assert.deepEqual(status.apps.map((a) => a.name), [name]);
      assert.equal(readPid(join(dir, `.tsgi/${name}.pid`)), procs[name === 'shop' ? 0 : 1]!.pid);
    }
    const third = spawnSync(process.execPath, [TSGID, '-c', 'shop.yaml'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(third.status, 2, third.stderr);
    assert.match(third.stderr, /\.tsgi\/shop\.pid belongs to a running tsgid \(pid \d+\); stop it, or set another `pidfile:` in this config \[TSGI_ERR_DAEMON_RUNNING\]/);
  });

  it('a bare tsgictl, with no tsgi.yaml, finds the one tsgid running here', async () => {
    const blog = procs[1]!;
    const exited = new Promise((r) => blog.once('exit', r));
    blog.kill('SIGTERM');
    await exited;
    const status = JSON.parse(execFileSync(process.execPath, [TSGICTL, 'status', '--json'], { cwd: dir, encoding: 'utf8' })) as { apps: Array<{ name: string }> };
    assert.deepEqual(status.apps.map((a) => a.name), ['shop']);
  });
});
