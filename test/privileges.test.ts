/**
 * Privileges per app, as root with real accounts: two apps as two users, each worker with its
 * own uid and gid, none of tsgid's supplementary groups, the default umask; one cannot read the
 * other's files, and reload, max_memory, timeout and logs still work for workers that are not
 * root. Then the configuration errors: unknown user or group, root by omission, a user that
 * cannot reach the app, a non-root tsgid naming another user.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DaemonStatus } from '../daemon/arbiter/arbiter.js';
import { findGroup, findUser, type UserAccount } from '../daemon/config/users.js';
import { selfSignedCert } from './helpers/tls.js';
import { get, readyPids, startDaemon, tempDir, TSGID, writeConfig, type Daemon } from './helpers/daemon.js';
import { waitFor } from './helpers/wait.js';

const ROOT_ONLY = 'switching users needs tsgid to run as root (CI runs the suite as root)';
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') it('runs as root under CI', () => assert.fail(ROOT_ONLY));

const USERS = ['tsgi-test-a', 'tsgi-test-b'] as const;
const EXTRA = 'tsgi-test-extra';
/** tsgid's own environment, without the suite's TSGI_ALLOW_ROOT: the real default */
const strictEnv = { ...process.env, TSGI_ALLOW_ROOT: '' };

let a: UserAccount;
let b: UserAccount;
let extraGid: number;

function setUpAccounts(): void {
  if (findGroup(EXTRA) === undefined) execFileSync('groupadd', ['--system', EXTRA]);
  for (const name of USERS) if (findUser(name) === undefined) execFileSync('useradd', ['--system', '--no-create-home', '--user-group', name]);
  a = findUser(USERS[0])!;
  b = findUser(USERS[1])!;
  extraGid = findGroup(EXTRA)!.gid;
}

function removeAccounts(): void {
  for (const name of USERS) spawnSync('userdel', [name]);
  spawnSync('groupdel', [EXTRA]);
}

/** A world-enterable temp dir (mkdtemp makes 0700 ones) with the fixture app in it. */
function appDir(): string {
  const dir = tempDir('tsgi-priv-');
  chmodSync(dir, 0o755);
  writeConfig(dir, '', ['privileges/whoami.mjs']);
  return dir;
}

/** The Uid, Gid and Groups lines of a process, as the kernel reports them. */
function procIds(pid: number): { uid: number[]; gid: number[]; groups: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => status.match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'm'))![1]!.trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups') };
}

async function json<T>(url: string): Promise<T> {
  const r = await get(url);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as T;
}

describe('apps run as their own users', { skip: isRoot ? false : ROOT_ONLY }, () => {
  let d: Daemon | undefined;
  let dir: string;
  const url: Record<string, string> = {};
  let savedGroups: number[] = [];

  before(async () => {
    setUpAccounts();
    dir = appDir();
    for (const [name, u] of [['a', a], ['b', b]] as const) {
      writeFileSync(join(dir, `${name}.env`), `SECRET_${name}=1\n`, { mode: 0o600 });
      chownSync(join(dir, `${name}.env`), u.uid, u.gid);
      mkdirSync(join(dir, `out-${name}`), { mode: 0o700 });
      chownSync(join(dir, `out-${name}`), u.uid, u.gid);
    }
    selfSignedCert(dir);
    chmodSync(join(dir, 'tls.key'), 0o600);
    // tsgid inherits a supplementary group from this process: the workers must not
    savedGroups = process.getgroups!();
    process.setgroups!([extraGid]);
    d = await startDaemon(
      `
stats_interval: 100ms
logs: { dir: logs }
apps:
  a:
    app: ./whoami.mjs
    listen: "127.0.0.1:0"
    user: ${USERS[0]}
    max_memory: 150MB
    timeout: 3s
  b:
    app: ./whoami.mjs
    listen: "127.0.0.1:0"
    user: ${b.uid}
    group: ${EXTRA}
  s:
    app: ./whoami.mjs
    listen: "127.0.0.1:0"
    user: ${USERS[0]}
    certfile: tls.crt
    keyfile: tls.key
`,
      { dir, env: strictEnv },
    );
    url.a = await d.url('a');
    url.b = await d.url('b');
    url.s = (await d.url('s')).replace(/^http:/, 'https:');
  });

  after(async () => {
    await d?.stop();
    if (isRoot) {
      process.setgroups!(savedGroups);
      removeAccounts();
    }
  });

  it('each worker has its user, its group, no supplementary groups and umask 0027', { timeout: 30_000 }, async () => {
    assert.deepEqual(procIds(d!.proc.pid!).groups, [extraGid], 'tsgid itself holds the extra group');
    const s = await d!.status();
    for (const [name, uid, gid] of [['a', a.uid, a.gid], ['b', b.uid, extraGid]] as const) {
      const [pid] = readyPids(s, name) as [number];
      assert.deepEqual(procIds(pid), { uid: [uid, uid, uid, uid], gid: [gid, gid, gid, gid], groups: [] }, `app ${name}, pid ${pid}`);
      const seen = await json<{ pid: number; uid: number[]; groups: number[]; umask: number; home: string; user: string }>(url[name]!);
      assert.equal(seen.pid, pid);
      assert.equal(seen.umask, 0o027);
      const account = findUser(uid)!;
      assert.deepEqual({ home: seen.home, user: seen.user }, { home: account.home, user: account.name }, "HOME and USER are the worker's account's, not tsgid's");
    }
    const shown = await d!.api<{ app: { config: { umask: number; user: unknown } } }>('GET', '/v1/apps/a');
    assert.equal(shown.body.app.config.umask, 0o027);
    assert.deepEqual(shown.body.app.config.user, a);
  });

  it("one app cannot read the other's env file; files it creates get the umask", { timeout: 30_000 }, async () => {
    for (const [self, other] of [['a', 'b'], ['b', 'a']] as const) {
      const own = await json<{ ok: boolean; text?: string }>(`${url[self]}/read?path=${join(dir, `${self}.env`)}`);
      assert.deepEqual(own, { ok: true, text: `SECRET_${self}=1\n` });
      const theirs = await json<{ ok: boolean; code?: string }>(`${url[self]}/read?path=${join(dir, `${other}.env`)}`);
      assert.deepEqual(theirs, { ok: false, code: 'EACCES' }, `${self} reading ${other}.env`);
    }
    const made = await json<{ ok: boolean; mode?: number }>(`${url.a}/write?path=${join(dir, 'out-a', 'made')}`);
    assert.deepEqual(made, { ok: true, mode: 0o640 });
    const intoOther = await json<{ ok: boolean; code?: string }>(`${url.a}/write?path=${join(dir, 'out-b', 'made')}`);
    assert.deepEqual(intoOther, { ok: false, code: 'EACCES' });
  });

  it('serves TLS with a key only root can read: tsgid reads it, the worker cannot', { timeout: 30_000 }, async () => {
    const body = await new Promise<string>((resolve, reject) => {
      https.get(`${url.s}/read?path=${join(dir, 'tls.key')}`, { rejectUnauthorized: false, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.deepEqual(JSON.parse(body), { ok: false, code: 'EACCES' });
  });

  it('their lines reach the log files tsgid holds', { timeout: 30_000 }, async () => {
    await json(`${url.a}/log?line=hello-from-a`);
    const file = join(dir, 'logs', 'a.out.log');
    await waitFor(() => readOr(file).includes('hello-from-a'), { what: `the line in ${file}`, detail: () => `${readOr(file)}\n--- tsgid ---\n${d!.output()}` });
  });

  it('a reload starts new workers as the same user', { timeout: 60_000 }, async () => {
    const [old] = readyPids(await d!.status(), 'a') as [number];
    const r = await d!.api('POST', '/v1/apps/a/reload');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const s = await d!.waitFor('a reloaded', (st) => replaced(st, old));
    assert.deepEqual(procIds(readyPids(s, 'a')[0]!).uid, [a.uid, a.uid, a.uid, a.uid]);
  });

  it('max_memory recycles a worker of another user', { timeout: 60_000 }, async () => {
    const [pid] = readyPids(await d!.status(), 'a') as [number];
    for (let i = 0; i < 4; i++) await json(`${url.a}/grow?mb=40`);
    const s = await d!.waitFor('a recycled', (st) => replaced(st, pid));
    assert.equal(s.apps.find((x) => x.name === 'a')!.last_exit?.reason, 'max_memory');
    assert.deepEqual(procIds(readyPids(s, 'a')[0]!).uid, [a.uid, a.uid, a.uid, a.uid]);
  });

  it('timeout kills a hung worker of another user', { timeout: 60_000 }, async () => {
    const hung = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${url.a}/spin`, { agent: false }, (res) => {
        res.on('error', () => {});
        res.resume();
        resolve(Number(res.headers['x-pid']));
      });
      req.on('error', reject);
    });
    const s = await d!.waitFor('hung worker replaced', (st) => replaced(st, hung));
    assert.equal(s.apps.find((x) => x.name === 'a')!.last_exit?.reason, 'timeout');
    assert.match(d!.output(), new RegExp(`\\(pid ${hung}\\) sent no heartbeat`));
  });

  it('a module its user cannot read fails the reload with EACCES, and the running worker stays', { timeout: 60_000 }, async () => {
    const module = join(dir, 'whoami.mjs');
    const [running] = readyPids(await d!.status(), 'b') as [number];
    // root can still read it, so only the worker's own boot can tell
    chmodSync(module, 0o600);
    try {
      const r = await d!.api<{ error: { code: string; message: string } }>('POST', '/v1/apps/b/reload');
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TSGI_ERR_APP_BOOT');
      assert.match(r.body.error.message, new RegExp(`EACCES.*${module}`));
      assert.deepEqual(readyPids(await d!.status(), 'b'), [running]);
    } finally {
      chmodSync(module, 0o644);
    }
  });

  it('an app added through the API without a user is refused', { timeout: 30_000 }, async () => {
    const r = await d!.api<{ error: { code: string; message: string } }>('POST', '/v1/apps', { name: 'c', app: './whoami.mjs', listen: '127.0.0.1:0' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'TSGI_ERR_CONFIG_ROOT');
    assert.match(r.body.error.message, /^apps\.c: tsgid runs as root and this app sets no "user"/);
  });
});

/** app a has one worker again, ready, and it is not `old`, which has exited (so last_exit is its) */
function replaced(st: DaemonStatus, old: number): boolean {
  const app = st.apps.find((x) => x.name === 'a')!;
  return app.workers.length === 1 && readyPids(st, 'a').length === 1 && readyPids(st, 'a')[0] !== old;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('privilege errors in the configuration', { skip: isRoot ? false : ROOT_ONLY }, () => {
  let dir: string;

  before(() => {
    setUpAccounts();
    dir = appDir();
  });

  after(() => {
    if (isRoot) removeAccounts();
  });

  /** `tsgid --check` on one app's extra lines; as `as` when given, else as root. */
  function check(extra: string, as?: { uid: number; gid: number }): { status: number | null; stderr: string; stdout: string } {
    const file = writeConfig(dir, `apps:\n  web:\n    app: ./whoami.mjs\n    listen: "127.0.0.1:0"\n${extra}`);
    const ids = as === undefined ? {} : { uid: as.uid, gid: as.gid };
    return spawnSync(process.execPath, [TSGID, '--check', '-c', file], { env: strictEnv, encoding: 'utf8', ...ids });
  }

  it('refuses an app that would run as root by omission, at its line, and takes user: root', { timeout: 30_000 }, () => {
    const r = check('');
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /tsgi\.yaml:2:3: apps\.web: tsgid runs as root and this app sets no "user".*"user: root" to run them as root on purpose \[TSGI_ERR_CONFIG_ROOT\]/);
    assert.equal(check('    user: root\n').status, 0);
  });

  it('names an unknown user or group with its line', { timeout: 30_000 }, () => {
    const u = check('    user: tsgi-no-such-user\n');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /tsgi\.yaml:5:11: apps\.web\.user: no user "tsgi-no-such-user" in \/etc\/passwd or getent.*\[TSGI_ERR_CONFIG_USER\]/);
    const g = check(`    user: ${USERS[0]}\n    group: tsgi-no-such-group\n`);
    assert.equal(g.status, 2);
    assert.match(g.stderr, /tsgi\.yaml:6:12: apps\.web\.group: no group "tsgi-no-such-group" in \/etc\/group/);
    assert.match(check('    user: 4000000000\n').stderr, /apps\.web\.user: no user 4000000000/);
    assert.match(check('    user: ""\n').stderr, /apps\.web\.user: expected a user name or number/);
  });

  it('refuses a user who cannot reach the app, naming the path', { timeout: 30_000 }, () => {
    mkdirSync(join(dir, 'private'), { mode: 0o700 });
    cpSync(join(dir, 'whoami.mjs'), join(dir, 'private', 'whoami.mjs'));
    const r = check(`    user: ${USERS[0]}\n    cwd: private\n`);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`apps\\.web\\.user: user "${USERS[0]}" \\(uid ${a.uid}, gid ${a.gid}\\) cannot enter the app's cwd, ${dir}/private: .*\\[TSGI_ERR_CONFIG_USER\\]`));
  });

  it('reads umask as a quoted octal string only', { timeout: 30_000 }, () => {
    assert.equal(check(`    user: ${USERS[0]}\n    umask: "0077"\n`).status, 0);
    assert.match(check(`    user: ${USERS[0]}\n    umask: 0027\n`).stderr, /apps\.web\.umask: expected a quoted octal string such as "0027", got the number 27/);
    assert.match(check(`    user: ${USERS[0]}\n    umask: "0089"\n`).stderr, /apps\.web\.umask: expected an octal umask/);
  });

  it('a tsgid that is not root may name only its own user and group', { timeout: 30_000 }, () => {
    const own = check(`    user: ${USERS[0]}\n`, a);
    assert.equal(own.status, 0, own.stderr);
    const other = check(`    user: ${USERS[1]}\n`, a);
    assert.equal(other.status, 2);
    assert.match(other.stderr, new RegExp(`tsgi\\.yaml:5:11: apps\\.web\\.user: tsgid runs as uid ${a.uid}, not root, so it cannot run workers as user "${USERS[1]}" \\(uid ${b.uid}\\)`));
    assert.match(check(`    group: ${EXTRA}\n`, a).stderr, /apps\.web\.group: tsgid runs as gid \d+, not root, so it cannot run workers in group "tsgi-test-extra"/);
    assert.equal(check('', a).status, 0, 'no user: the workers run as tsgid does');
    // tsgid in another group than its user's primary one (systemd's Group=): fork could not setgid to it
    const inExtra = { uid: a.uid, gid: extraGid };
    assert.match(check(`    user: ${USERS[0]}\n`, inExtra).stderr, new RegExp(`apps\\.web\\.user: tsgid runs as gid ${extraGid}, not root, so it cannot run workers in user "${USERS[0]}"'s primary group \\(gid ${a.gid}\\): set "group" to gid ${extraGid}`));
    assert.equal(check(`    user: ${USERS[0]}\n    group: ${EXTRA}\n`, inExtra).status, 0);
  });
});
