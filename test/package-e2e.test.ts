/**
 * The way a team adopts tsgi: the packed tarball installed into a fresh project next to Express
 * from the registry, `npx tsgictl init`, `npx tsgid`, requests through it, `npx tsgictl status`,
 * and `npx tsgid` stopping when npm is killed. Slow (an npm install): its own file, a generous
 * timeout. npm and npx run on the Node running this test (its directory first on PATH), so CI's
 * Node 22 and 24 passes install under those too.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, delay, get, pidAlive, tempDir } from './helpers/daemon.js';

const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, PORT: '0', NO_COLOR: '1' };
// a test run under `npm test` or `npx -p node@22` must not make tsgid think npm launched it here
delete env.npm_command;

function run(cmd: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('the published package, installed into a fresh project', { timeout: 600_000 }, () => {
  const tmp = tempDir('tsgi-pack-');
  const project = join(tmp, 'app');
  let tarball = '';
  let install: SpawnSyncReturns<string>;
  let tsgid: ChildProcess | undefined;
  let daemonPid: number | undefined;

  before(() => {
    // --ignore-scripts: dist/ is already built (the tests run from it); prepack would rebuild it under our feet
    const packed = JSON.parse(ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT, 120_000), 'npm pack')) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(tmp, packed[0]!.filename);
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', private: true, main: 'server.js', scripts: { start: 'node server.js' } }, null, 2));
    writeFileSync(
      join(project, 'server.js'),
      `const express = require('express');\nconst app = express();\napp.get('/', (req, res) => res.send('hello from express ' + process.pid));\nmodule.exports = app;\n`,
    );
    install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, 'express'], project, 480_000);
  });
  after(async () => {
    if (tsgid && tsgid.exitCode === null) tsgid.kill('SIGKILL');
    if (daemonPid !== undefined && pidAlive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
  });

  it('the tarball holds what runs, the dashboard, docs and deploy templates; no tests, benches or CI', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const f of ['dist/daemon/main.js', 'dist/cli/main.js', 'dist/daemon/worker/bundle.js', 'dist/daemon/worker/swc-hooks.js', 'api/dashboard/index.html', 'docs/config.md', 'deploy/Dockerfile', 'README.md']) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const stray = files.filter((f) => /^(test|bench|\.ci|examples|dist\/test|dist\/bench)\//.test(f));
    assert.deepEqual(stray, []);
  });

  it('installs with no warning, and without tsx or esbuild (optional peers)', () => {
    ok(install, 'npm install');
    assert.doesNotMatch(install.stderr, /npm warn/i, install.stderr);
    assert.equal(existsSync(join(project, 'node_modules/esbuild')), false);
    assert.equal(existsSync(join(project, 'node_modules/tsgi/dist/test')), false);
    assert.equal(existsSync(join(project, 'node_modules/.bin/tsgid')), true);
  });

  it('npx tsgictl init writes tsgi.yaml for server.js and ignores .tsgi/', () => {
    const out = ok(run('npx', ['tsgictl', 'init'], project), 'tsgictl init');
    assert.match(out, /found a Node app: \.\/server\.js/);
    const yaml = readFileSync(join(project, 'tsgi.yaml'), 'utf8');
    assert.match(yaml, /app: \.\/server\.js/);
    assert.match(yaml, /listen: "\$\{HOST:-127\.0\.0\.1\}:\$\{PORT:-8000\}"/);
    assert.match(readFileSync(join(project, '.gitignore'), 'utf8'), /^\.tsgi\/$/m);
  });

  it('a .ts entry with no tsx installed: tsgid --check names the package, unless this Node strips types', () => {
    writeFileSync(join(project, 'hello.ts'), 'export default (req: unknown, res: { end(s: string): void }) => res.end("ts");\n');
    writeFileSync(join(project, 'ts.yaml'), 'apps:\n  ts:\n    app: ./hello.ts\n    listen: "127.0.0.1:0"\n');
    const r = run('npx', ['tsgid', '--check', '-c', 'ts.yaml'], project);
    if ((process.features as { typescript?: unknown }).typescript) {
      assert.equal(r.status, 0, r.stderr);
    } else {
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, /apps\.ts\.app: a TypeScript entry, but Node v[\d.]+ cannot run TypeScript by itself: npm install tsx/);
    }
  });

  it('npx tsgid serves it; npx tsgictl status shows it', async () => {
    tsgid = spawn('npx', ['tsgid'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tsgid.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    tsgid.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    let status: { apps: Array<{ name: string; state: string; listen: string[] }> } | undefined;
    const deadline = Date.now() + 120_000;
    while (status?.apps[0]?.state !== 'running') {
      if (Date.now() > deadline || tsgid.exitCode !== null) throw new Error(`tsgid did not come up:\n${out}`);
      const r = run('npx', ['tsgictl', 'status', '--json'], project);
      if (r.status === 0) status = JSON.parse(r.stdout) as typeof status;
      else await delay(200);
    }
    assert.equal(status.apps[0]!.name, 'shop');
    const r = await get(`http://${status.apps[0]!.listen[0]}/`);
    assert.match(r.body, /^hello from express \d+$/);
    const text = ok(run('npx', ['tsgictl', 'status'], project), 'tsgictl status');
    assert.match(text, /shop/);
    daemonPid = Number.parseInt(readFileSync(join(project, '.tsgi/tsgid.pid'), 'utf8'), 10);
    assert.ok(pidAlive(daemonPid));
  });

  it('killing npx (which passes no signal on) stops tsgid too: no daemon left under PID 1', async () => {
    assert.ok(tsgid && daemonPid !== undefined, 'tsgid was started');
    const exited = new Promise((r) => tsgid!.once('exit', r));
    tsgid.kill('SIGKILL');
    await exited;
    const deadline = Date.now() + 60_000;
    while (pidAlive(daemonPid)) {
      if (Date.now() > deadline) throw new Error(`tsgid ${daemonPid} still runs after npx was killed`);
      await delay(100);
    }
    assert.deepEqual(readdirSync(join(project, '.tsgi')).filter((f) => f.endsWith('.pid')), [], 'it exited cleanly, removing its pidfile');
  });

  it('Ctrl-C (SIGINT to the process group: npx and tsgid) drains and exits cleanly, npx going first cutting nothing short', async () => {
    const group = spawn('npx', ['tsgid'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    group.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    group.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const pidfile = join(project, '.tsgi/tsgid.pid');
    const deadline = Date.now() + 120_000;
    while (run('npx', ['tsgictl', 'ready'], project).status !== 0) {
      if (Date.now() > deadline || group.exitCode !== null) throw new Error(`tsgid did not come up:\n${out}`);
      await delay(200);
    }
    const pid = Number.parseInt(readFileSync(pidfile, 'utf8'), 10);
    daemonPid = pid;
    process.kill(-group.pid!, 'SIGINT');
    while (pidAlive(pid)) {
      if (Date.now() > deadline + 60_000) throw new Error(`tsgid ${pid} still runs after Ctrl-C:\n${out}`);
      await delay(100);
    }
    assert.equal(existsSync(pidfile), false, `a clean exit removes the pidfile:\n${out}`);
    // tsgid's last lines come through npx's pipe: read them all (its 'close') before looking at them
    if (group.exitCode === null && group.signalCode === null) await new Promise((r) => group.once('close', r));
    else if (!group.stdout!.readableEnded) await new Promise((r) => group.stdout!.once('end', r));
    assert.match(out, /SIGINT: graceful shutdown/);
    assert.doesNotMatch(out, /exiting now/);
  });
});
