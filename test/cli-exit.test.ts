/**
 * tsgictl's exit statuses, with the real binary: 0 ok, 1 the action failed (a reload into code
 * that throws at import, an unknown app, a refused token), 2 usage or invalid input (and
 * `config check` on a bad file, no daemon needed), 3 cannot reach the daemon (saying where it
 * looked). Also the token found through -c for a TCP admin API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminAddress, FIXTURES, TSGICTL, get, readyPids, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tsgictl(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const full = { ...process.env, ...env };
  for (const k of ['TSGI_URL', 'TSGI_TOKEN']) if (env[k] === undefined) delete full[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [TSGICTL, ...args], { cwd, env: full, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

const NODE_APP = join(FIXTURES, 'daemon/node-app.mjs');

describe('tsgictl exit statuses', () => {
  const empty = tempDir('tsgi-cli-empty-');
  let d: Daemon;
  const ctl = (...args: string[]) => tsgictl(args, d.dir);

  before(async () => {
    d = await startDaemon(
      `admin: { listen: "unix:admin.sock" }
apps:
  steady:
    app: ${NODE_APP}
    listen: "127.0.0.1:0"
  fragile:
    app: ./node-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
`,
      { fixtures: ['daemon/node-app.mjs'] },
    );
  });

  after(async () => {
    await d?.stop();
  });

  it('0: version, help, status', async () => {
    const v = await tsgictl(['version'], empty);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^tsgictl \d+\.\d+\.\d+\n$/);
    for (const flag of ['-v', '--version']) assert.equal((await tsgictl([flag], empty)).stdout, v.stdout, `tsgictl ${flag}`);
    assert.equal((await tsgictl(['--help'], empty)).code, 0);
    assert.equal((await tsgictl(['help', 'add'], empty)).code, 0);
    assert.equal((await ctl('status')).code, 0);
  });

  it('2: usage errors, each with a message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: tsgictl/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['status', 'a', 'b'], /status: expected \[APP\], got a b\nusage: tsgictl status \[APP\]/],
      [['reload'], /reload: expected APP\|all, got nothing/],
      [['scale', 'steady'], /scale: expected APP N\|\+N\|-N/],
      [['scale', 'steady', 'lots'], /scale: expected a number, \+N or -N, got "lots"/],
      [['add', 'x', '--listen', ':0'], /add: --app is required\nusage: tsgictl add NAME --app MODULE/],
      [['add', 'x', '--app', 'a.mjs', '--listen', ':0', '--workers', 'two'], /--workers expects a number/],
      [['status', '--bogus'], /^tsgictl: unknown option --bogus\n/],
      [['config'], /config: expected one of reload, diff, check/],
      [['config', 'frob'], /config: expected one of reload, diff, check, got "frob"/],
      [['--url', 'https://127.0.0.1:1', 'status'], /plain http/],
    ];
    for (const [args, message] of cases) {
      const r = await ctl(...args);
      assert.equal(r.code, 2, `tsgictl ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('2: the daemon refuses the input (a scale over max_workers)', async () => {
    const r = await ctl('scale', 'steady', '500');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /workers must be an integer from 1 to 128, or "\+N" or "-N"/);
  });

  it('2: scale to 0 says what is allowed, in words', async () => {
    const r = await ctl('scale', 'steady', '0');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'tsgictl: workers must be an integer from 1 to 128, or "+N" or "-N" (relative to the current target)\n');
  });

  it('1: an unknown app', async () => {
    const r = await ctl('restart', 'ghost');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'tsgictl: no app named "ghost"\n');
  });

  it('1: a reload into code that throws at import prints the boot error; the old workers keep serving', async () => {
    const before = readyPids(await d.status(), 'fragile');
    writeFileSync(join(d.dir, 'node-app.mjs'), "throw new Error('config service unreachable (thrown at import)');\n");
    const r = await ctl('reload', 'fragile');
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stderr, /^tsgictl: fragile: reload abandoned, the new code did not boot: .*config service unreachable \(thrown at import\)/);

    const json = await ctl('reload', 'fragile', '--json');
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'TSGI_ERR_APP_BOOT');
    assert.match(body.error.message, /config service unreachable/);

    // reload all: the other app reloads, the broken one is listed, exit 1
    const all = await ctl('reload', 'all');
    assert.equal(all.code, 1);
    assert.match(all.stdout, /^steady: reloaded/m);
    assert.match(all.stdout, /^fragile: failed: .*config service unreachable/m);

    assert.deepEqual(readyPids(await d.status(), 'fragile').sort(), before.sort(), 'the old workers still serve');
    assert.equal((await get(await d.url('fragile'))).status, 200);
  });

  it('3: nothing listens at the socket; the message says where it looked', async () => {
    const missing = join(empty, 'no-such.sock');
    const r = await tsgictl(['--socket', missing, 'status'], empty);
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`cannot reach tsgid at unix:${missing} \\(from --socket`));
    const viaEnv = await tsgictl(['status'], empty, { TSGI_URL: `unix:${missing}` });
    assert.equal(viaEnv.code, 3);
    assert.match(viaEnv.stderr, /from TSGI_URL/);
    const json = await tsgictl(['--socket', missing, 'status', '--json'], empty);
    assert.equal(json.code, 3);
    assert.equal(JSON.parse(json.stdout).error.code, 'TSGI_ERR_CLI_UNREACHABLE');
  });

  it('3: no address given and no ./tsgi.yaml; or the config names a socket nobody serves', async () => {
    const r = await tsgictl(['status'], empty);
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`no --url, --socket or TSGI_URL, and no ${join(empty, 'tsgi.yaml')}`));
    writeFileSync(join(empty, 'other.yaml'), 'admin:\n  listen: "unix:gone.sock"\n');
    const viaConfig = await tsgictl(['-c', 'other.yaml', 'status'], empty);
    assert.equal(viaConfig.code, 3);
    assert.match(viaConfig.stderr, new RegExp(`unix:${join(empty, 'gone.sock')} \\(from admin\\.listen of ${join(empty, 'other.yaml')}\\)`));
  });

  it('config check: 0 on a valid file, 2 with the error on an invalid one, no daemon needed', async () => {
    const dir = tempDir('tsgi-cli-check-');
    writeFileSync(join(dir, 'good.yaml'), `apps:\n  a:\n    app: ${NODE_APP}\n    listen: "127.0.0.1:0"\n`);
    writeFileSync(join(dir, 'bad.yaml'), `apps:\n  a:\n    app: ${NODE_APP}\n    listen: "127.0.0.1:0"\n    workers: -1\n`);
    writeFileSync(join(dir, 'broken.yaml'), 'apps: [\n');
    const good = await tsgictl(['config', 'check', 'good.yaml'], dir);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, `${join(dir, 'good.yaml')}: OK (1 app: a)\n`);
    const bad = await tsgictl(['config', 'check', 'bad.yaml'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:5:14: apps\.a\.workers: expected an integer from 1 to 128, got -1/);
    const broken = await tsgictl(['config', 'check', 'broken.yaml', '--json'], dir);
    assert.equal(broken.code, 2);
    assert.equal(JSON.parse(broken.stdout).error.code, 'TSGI_ERR_CONFIG_YAML');
    // -c names the file when no argument does
    assert.equal((await tsgictl(['-c', 'good.yaml', 'config', 'check'], dir)).code, 0);
    const missing = await tsgictl(['config', 'check'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /tsgi\.yaml: cannot read the configuration file \(ENOENT\)/);
  });

  it('a TCP admin API: the token comes from admin.token_file via -c; without it, exit 1', async () => {
    const tcp = await startDaemon(`admin: { listen: "127.0.0.1:0" }\napps:\n  web:\n    app: ${NODE_APP}\n    listen: "127.0.0.1:0"\n`, { wait: false });
    try {
      const addr = await adminAddress(tcp);
      // the config says port 0, so -c alone cannot find it: give the URL, and let -c supply the token
      const config = join(tcp.dir, 'tsgi.yaml');
      writeFileSync(config, `admin: { listen: "${addr}" }\napps:\n  web:\n    app: ${NODE_APP}\n    listen: "127.0.0.1:0"\n`);
      const found = await tsgictl(['-c', config, 'status', '--json'], empty);
      assert.equal(found.code, 0, found.stderr);
      assert.equal(JSON.parse(found.stdout).apps[0].name, 'web');
      const refused = await tsgictl(['--url', `http://${addr}`, 'status'], empty);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /unauthorized \(tsgid at .* refused a call without a token/);
      const wrong = await tsgictl(['--url', `http://${addr}`, '--token', 'nope', 'status'], empty);
      assert.equal(wrong.code, 1);
      // a stream (top, logs -f) says the same as a call
      const wrongTop = await tsgictl(['--url', `http://${addr}`, '--token', 'nope', 'top', '--once'], empty);
      assert.equal(wrongTop.code, 1);
      assert.match(wrongTop.stderr, /unauthorized \(tsgid at .* refused the token; set --token/);
      const token = await tsgictl(['--url', `http://${addr}`, 'status'], empty, { TSGI_TOKEN: readFileSync(join(tcp.dir, '.tsgi/admin.token'), 'utf8').trim() });
      assert.equal(token.code, 0, token.stderr);
    } finally {
      await tcp.stop();
    }
  });
});
