/**
 * The real tsgictl binary against a real tsgid: status (table and --json), reload, scale, stop and
 * start, add → serve → remove, config reload, the ways of finding the daemon, and colour only on
 * a terminal and never with NO_COLOR or --json.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppView } from '../api/app-view.js';
import { TSGICTL, get, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { needs, SCRIPT_TOOL } from './helpers/tools.js';

const ESC = '\u001b[';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** tsgictl with a clean environment: no TSGI_URL/TSGI_TOKEN from the caller's shell. */
function tsgictl(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const env = { ...process.env, ...opts.env };
  for (const k of ['TSGI_URL', 'TSGI_TOKEN', 'NO_COLOR']) if (opts.env?.[k] === undefined) delete env[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [TSGICTL, ...args], { cwd: opts.cwd, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function config(extra = ''): string {
  return `admin: { listen: "unix:admin.sock" }
apps:
  web:
    app: ./node-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
    env: { API_KEY: "do-not-print-me" }
  other:
    app: ./node-app.mjs
    listen: "127.0.0.1:0"
${extra}`;
}

describe('tsgictl against a real tsgid', () => {
  let d: Daemon;
  const ctl = (...args: string[]) => tsgictl(args, { cwd: d.dir });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await ctl(...args);
    assert.equal(r.code, 0, `tsgictl ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  before(async () => {
    d = await startDaemon(config(), { fixtures: ['daemon/node-app.mjs'] });
  });

  after(async () => {
    await d?.stop();
  });

  it('status prints a table with every worker, found from ./tsgi.yaml', async () => {
    const out = await ok('status');
    const s = await d.status();
    assert.match(out, /^tsgid \d+, up \d+[smhd], .*tsgi\.yaml\n/);
    assert.match(out, /APP\s+STATE\s+READY\s+RESTARTS\s+BALANCE\s+WORKER\s+PID/);
    assert.match(out, /^web\s+running\s+2\/2\s+0\s/m, 'restarts per app');
    assert.match(out, /^other\s+running\s+1\/1/m);
    for (const pid of [...readyPids(s, 'web'), ...readyPids(s, 'other')]) assert.match(out, new RegExp(`\\b${pid}\\b`));
    assert.ok(!out.includes(ESC), 'no colour when stdout is not a terminal');
  });

  it('status --json carries the worker pids, and no escape codes', async () => {
    const out = await ok('status', '--json');
    assert.ok(!out.includes(ESC));
    const body = JSON.parse(out) as { pid: number; apps: AppView[] };
    const web = body.apps.find((a) => a.name === 'web')!;
    assert.deepEqual(web.workers.map((w) => w.pid).sort(), readyPids(await d.status(), 'web').sort());
    assert.deepEqual(web.config.env_keys, ['API_KEY']);
    assert.equal(body.pid, d.proc.pid);
  });

  it('status APP shows its config with env keys only', async () => {
    const out = await ok('status', 'web');
    assert.match(out, /^web\s+running/m);
    assert.match(out, /env_keys: \["API_KEY"\]/);
    // durations and sizes as a config file writes them, not milliseconds and bytes
    assert.match(out, /^  timeout: 30s$/m);
    assert.match(out, /^  graceful_timeout: \d+[smh]$/m);
    assert.match(out, /"window":"\d+[smh]"/);
    assert.match(out, /^  limit_request_body: 10MB$/m);
    assert.ok(!out.includes('do-not-print-me'));
    assert.ok(!(await ok('status', 'web', '--json')).includes('do-not-print-me'));
  });

  it('completion bash completes commands, flags and the running daemon\'s app names; zsh and fish scripts come from the same declarations', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'tsgi-bin-'));
    writeFileSync(join(bin, 'tsgictl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(TSGICTL)} "$@"\n`, { mode: 0o755 });
    const script = await ok('completion', 'bash');
    const complete = (words: string[]): string[] => {
      const line = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tsgictl; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
      delete env.TSGI_URL;
      delete env.TSGI_TOKEN;
      const out = execFileSync('bash', ['-c', line], { cwd: d.dir, env, encoding: 'utf8' });
      return out.split('\n').filter((l) => l !== '').sort();
    };
    assert.deepEqual(complete(['tsgictl', 're']), ['ready', 'reload', 'remove', 'restart']);
    assert.deepEqual(complete(['tsgictl', 'logs', '--f']), ['--follow']);
    assert.deepEqual(complete(['tsgictl', 'restart', '']), ['all', 'other', 'web']);
    assert.deepEqual(complete(['tsgictl', 'scale', 'w']), ['web']);
    assert.deepEqual(complete(['tsgictl', 'config', '']), ['check', 'diff', 'reload']);
    assert.deepEqual(complete(['tsgictl', 'completion', '']), ['bash', 'fish', 'zsh']);
    assert.match(await ok('completion', 'zsh'), /bashcompinit[\s\S]*complete -F _tsgictl tsgictl/);
    const fish = await ok('completion', 'fish');
    assert.match(fish, /complete -c tsgictl -n __fish_use_subcommand -a 'reload'/);
    assert.match(fish, /-a '\(tsgictl completion apps 2>\/dev\/null\)'/);
    assert.deepEqual((await ok('completion', 'apps')).split('\n').filter(Boolean).sort(), ['other', 'web']);
  });

  it('reload replaces every worker (new pids) and says so', async () => {
    const before = readyPids(await d.status(), 'web');
    const out = await ok('reload', 'web');
    const after = readyPids(await d.status(), 'web');
    assert.equal(after.length, 2);
    assert.ok(after.every((p) => !before.includes(p)), `pids ${before} → ${after}`);
    assert.match(out, new RegExp(`^web: reloaded \\(2/2 ready, pids ${after.join(' ')}\\)$`, 'm'));
  });

  it('scale +1 and -1', async () => {
    assert.equal(await ok('scale', 'web', '+1'), 'web: 3/3 workers ready\n');
    assert.equal(readyPids(await d.status(), 'web').length, 3);
    assert.equal(await ok('scale', 'web', '-1'), 'web: 2/2 workers ready\n');
    assert.equal(readyPids(await d.status(), 'web').length, 2);
  });

  it('stop, then start', async () => {
    assert.match(await ok('stop', 'other'), /^other: stopped \(0\/1 ready\)$/m);
    assert.equal((await d.app('other')).state, 'stopped');
    assert.match(await ok('start', 'other'), /^other: started \(1\/1 ready, pids \d+\)$/m);
    assert.equal((await d.app('other')).state, 'running');
  });

  it('restart all acts on every app', async () => {
    const out = await ok('restart', 'all', '--json');
    const body = JSON.parse(out) as { apps: AppView[]; errors: unknown[] };
    assert.deepEqual(body.apps.map((a) => [a.name, a.state]), [['web', 'running'], ['other', 'running']]);
    assert.deepEqual(body.errors, []);
  });

  it('add serves the app; remove closes its port', async () => {
    const out = await ok('add', 'extra', '--app', './node-app.mjs', '--listen', '127.0.0.1:0', '--workers', '2', '--env', 'GREETING=from-cli');
    assert.match(out, /^extra: added, running \(2\/2 ready on 127\.0\.0\.1:\d+\)$/m);
    const url = await d.url('extra');
    const r = await get(url);
    assert.equal(r.status, 200);
    assert.match(r.body, /from-cli$/);
    assert.equal(await ok('remove', 'extra'), 'extra: removed\n');
    await assert.rejects(get(url), /ECONNREFUSED/);
  });

  it('config reload applies the changed file', async () => {
    writeFileSync(join(d.dir, 'tsgi.yaml'), config('  fresh:\n    app: ./node-app.mjs\n    listen: "127.0.0.1:0"\n'));
    const out = await ok('config', 'reload');
    assert.match(out, /^added: fresh$/m);
    assert.match(out, /^unchanged: web, other$/m);
    assert.equal((await d.app('fresh')).state, 'running');
  });

  it('finds the daemon with -c, --socket, --url unix: and TSGI_URL from anywhere', async () => {
    const elsewhere = tmpdir();
    const runs = await Promise.all([
      tsgictl(['-c', join(d.dir, 'tsgi.yaml'), 'status', '--json'], { cwd: elsewhere }),
      tsgictl(['--socket', d.socket, 'status', '--json'], { cwd: elsewhere }),
      tsgictl(['--url', `unix:${d.socket}`, 'status', '--json'], { cwd: elsewhere }),
      tsgictl(['status', '--json'], { cwd: elsewhere, env: { TSGI_URL: `unix:${d.socket}` } }),
    ]);
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { pid: number }).pid, d.proc.pid);
    }
  });

  it('colours a terminal, but not with NO_COLOR', needs(SCRIPT_TOOL), async () => {
    const onTty = (env: NodeJS.ProcessEnv) =>
      execFileSync('script', ['-qec', `"${process.execPath}" "${TSGICTL}" status`, '/dev/null'], { cwd: d.dir, env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.ok(onTty({}).includes(`${ESC}32mrunning`), 'green on a terminal');
    assert.ok(!onTty({ NO_COLOR: '1' }).includes(ESC), 'NO_COLOR');
    const json = execFileSync('script', ['-qec', `"${process.execPath}" "${TSGICTL}" status --json`, '/dev/null'], { cwd: d.dir, encoding: 'utf8' });
    assert.ok(!json.includes(ESC), '--json');
  });
});
