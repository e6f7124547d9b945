/**
 * A worker's environment, with real processes: the allow-list, inherit_env (names, prefixes,
 * true), what is withheld whatever the app asks (TSGI_TOKEN, the admin token under any name,
 * another app's variable), env_file read again at each reload, its mode warning and missing-file
 * error, and secrets redacted from boot errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIXTURES, get, startDaemon, tempDir, TSGID, writeConfig, type Daemon } from './helpers/daemon.js';

const E = join(FIXTURES, 'env');
const TOKEN = 'admin-token-4f9a2c';
const SHOP_DB = 'postgres://shop:hunter2-shop@db/shop';
const parentEnv = { TSGI_TOKEN: TOKEN, ADMIN_COPY: TOKEN, SHOP_DB, EXTRA_ONE: 'one', UNLISTED: 'unlisted', NODE_OPTIONS: '' };

async function envOf(d: Daemon, app: string): Promise<Record<string, string>> {
  return JSON.parse((await get(`${await d.url(app)}/env`)).body) as Record<string, string>;
}

describe('worker environment', () => {
  const daemons: Daemon[] = [];
  after(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
  });

  it('is an allow-list: own env and PATH, never the admin token nor another app\'s variable', { timeout: 60_000 }, async () => {
    const d = await startDaemon(`
admin: { listen: "unix:admin.sock", token: "\${TSGI_TOKEN}" }
apps:
  shop:
    app: ${E}/env-app.mjs
    listen: "127.0.0.1:0"
    env: { DATABASE_URL: "\${SHOP_DB}", OWN: mine }
  blog:
    app: ${E}/env-app.mjs
    listen: "127.0.0.1:0"
    inherit_env: [SHOP_DB, TSGI_TOKEN, EXTRA_*]
  open:
    app: ${E}/env-app.mjs
    listen: "127.0.0.1:0"
    inherit_env: true
`, { env: parentEnv });
    daemons.push(d);
    const shop = await envOf(d, 'shop');
    assert.equal(shop.DATABASE_URL, SHOP_DB);
    assert.equal(shop.OWN, 'mine');
    assert.equal(shop.PATH, process.env.PATH);
    for (const name of ['TSGI_TOKEN', 'ADMIN_COPY', 'SHOP_DB', 'EXTRA_ONE', 'UNLISTED', 'NODE_OPTIONS', 'TSGI_WORKER_SPEC']) assert.equal(shop[name], undefined, `shop sees ${name}`);

    // asked for by name, still withheld: shop's variable and the token; the prefix works
    const blog = await envOf(d, 'blog');
    assert.equal(blog.EXTRA_ONE, 'one');
    assert.equal(blog.PATH, process.env.PATH);
    for (const name of ['TSGI_TOKEN', 'SHOP_DB', 'DATABASE_URL', 'UNLISTED']) assert.equal(blog[name], undefined, `blog sees ${name}`);

    // everything, but the admin token under any name and another app's variable
    const open = await envOf(d, 'open');
    assert.equal(open.UNLISTED, 'unlisted');
    assert.equal(open.EXTRA_ONE, 'one');
    for (const name of ['TSGI_TOKEN', 'ADMIN_COPY', 'SHOP_DB']) assert.equal(open[name], undefined, `open sees ${name}`);
    assert.ok(!Object.values(open).includes(TOKEN), 'the token under some other name');
  });

  it('reads env_file again at each reload, so a rotated secret reaches the new workers; a vanished one abandons the reload', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const envFile = join(dir, 'app.env');
    writeFileSync(envFile, '# rotated by the deploy\nexport SECRET_KEY="one"\nOWN=file\n', { mode: 0o600 });
    const d = await startDaemon(`
apps:
  web:
    app: ${E}/env-app.mjs
    listen: "127.0.0.1:0"
    env_file: app.env
    env: { OWN: config }
`, { dir });
    daemons.push(d);
    assert.doesNotMatch(d.output(), /env_file/, 'no warning for a 0600 file');
    const before = await envOf(d, 'web');
    assert.equal(before.SECRET_KEY, 'one');
    assert.equal(before.OWN, 'config', 'env wins over env_file');
    writeFileSync(envFile, 'SECRET_KEY=two\n');
    const r = await d.api('POST', '/v1/apps/web/reload');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await envOf(d, 'web')).SECRET_KEY, 'two');
    // gone since: the reload is abandoned, its error names the file, the old workers keep serving
    rmSync(envFile);
    const refused = await d.api<{ error: { code: string; message: string } }>('POST', '/v1/apps/web/reload');
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'TSGI_ERR_APP_BOOT');
    assert.match(refused.body.error.message, /apps\.web\.env_file: cannot read .*app\.env \(ENOENT\)/);
    assert.equal((await envOf(d, 'web')).SECRET_KEY, 'two');
    assert.equal((await d.app('web')).state, 'running');
  });

  it('tsgid --check warns of inherit_env: true and a group-readable env_file, and refuses a missing one by name', { timeout: 30_000 }, () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'open.env'), 'A=1\n');
    chmodSync(join(dir, 'open.env'), 0o640);
    const app = `    app: ${E}/env-app.mjs\n    listen: "127.0.0.1:0"\n`;
    const file = writeConfig(dir, `admin: { listen: "unix:admin.sock" }\napps:\n  a:\n${app}    env_file: open.env\n  b:\n${app}    inherit_env: true\n`);
    const ok = spawnSync(process.execPath, [TSGID, '--check', '-c', file], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /warning: apps\.a\.env_file: .*open\.env has mode 0640, readable by its group; chmod 600 it/);
    assert.match(ok.stderr, /warning: apps\.b\.inherit_env: true passes tsgid's whole environment/);

    writeConfig(dir, `admin: { listen: "unix:admin.sock" }\napps:\n  a:\n${app}    env_file: gone.env\n`);
    const bad = spawnSync(process.execPath, [TSGID, '--check', '-c', file], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /tsgi\.yaml:\d+:\d+: apps\.a\.env_file: cannot read .*gone\.env \(ENOENT\) \[TSGI_ERR_CONFIG_ENV_FILE\]/);
  });

  it('redacts env and env_file values from a boot error in the API status and tsgid\'s log', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const password = 'postgres://app:s3cr3t-pw@db/app';
    writeFileSync(join(dir, 'db.env'), `DATABASE_URL=${password}\n`, { mode: 0o600 });
    const d = await startDaemon(`
apps:
  leaky:
    app: ${E}/leaky-boot.mjs
    listen: "127.0.0.1:0"
    env_file: db.env
    env: { API_KEY: key-7d1e0b5a, RETRIES: "3" }
`, { dir });
    daemons.push(d);
    const s = await d.waitFor('leaky failed', (st) => st.apps[0]?.state === 'failed');
    const shown = s.apps[0]!.last_boot_error ?? '';
    assert.match(shown, /: failed to import: cannot connect to \[redacted\] with key \[redacted\] \(retries 3\)$/);
    assert.match(s.apps[0]!.failed_reason ?? '', /\[redacted\]/);
    const whole = JSON.stringify(s) + d.rawOutput();
    assert.ok(!whole.includes('s3cr3t-pw'), 'the password in status or log');
    assert.ok(!whole.includes('key-7d1e0b5a'), 'the key in status or log');
  });
});
