/**
 * Where a real tsgid's admin API listens, and who gets in: a unix socket created 0600 (the mode
 * is the gate, no token), TCP with a mandatory token (generated into a 0600 file at first start),
 * and a non-loopback address without a token refused at startup.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adminAddress, FIXTURES, get, startDaemon, type Daemon } from './helpers/daemon.js';
import { untilOutput } from './helpers/output.js';

const APP = `apps:\n  web:\n    app: ${join(FIXTURES, 'daemon/node-app.mjs')}\n    listen: "127.0.0.1:0"\n`;

describe('admin API listeners of a real tsgid', () => {
  const daemons: Daemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('creates its unix socket with mode 0600 and needs no token on it', async () => {
    const d = await startDaemon(`admin: { listen: "unix:admin.sock" }\n${APP}`);
    daemons.push(d);
    assert.equal(statSync(d.socket).mode & 0o777, 0o600);
    const r = await d.api<{ apps: unknown[] }>('GET', '/v1/apps');
    assert.equal(r.status, 200);
    assert.equal(r.body.apps.length, 1);
  });

  it('on TCP port 0, reports the bound port; a call without the token gets 401, with it 200', async () => {
    const d = await startDaemon(`admin: { listen: "127.0.0.1:0" }\n${APP}`, { wait: false });
    daemons.push(d);
    const addr = await adminAddress(d);
    assert.match(addr, /^127\.0\.0\.1:[1-9]\d*$/);
    const base = `http://${addr}`;
    const tokenFile = join(d.dir, '.tsgi/admin.token');
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'the generated token file is 0600');
    const token = readFileSync(tokenFile, 'utf8').trim();
    assert.ok(token.length >= 24);

    const refused = await get(`${base}/v1/apps`);
    assert.equal(refused.status, 401);
    assert.deepEqual(JSON.parse(refused.body), { error: { code: 'TSGI_ERR_API_UNAUTHORIZED', message: 'unauthorized' } });
    assert.equal((await get(`${base}/v1/apps`, { headers: { authorization: 'Bearer not-it' } })).status, 401);
    assert.equal((await get(`${base}/v1/health`)).status, 200, 'health is open');
    const ok = await get(`${base}/v1/apps`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).apps[0].name, 'web');
  });

  it('uses admin.token when set', async () => {
    const d = await startDaemon(`admin: { listen: "127.0.0.1:0", token: "s3cret-admin-token" }\n${APP}`, { wait: false });
    daemons.push(d);
    const base = `http://${await adminAddress(d)}`;
    assert.equal((await get(`${base}/v1/apps`, { headers: { authorization: 'Bearer s3cret-admin-token' } })).status, 200);
    assert.equal((await get(`${base}/v1/apps`)).status, 401);
    assert.ok(!d.output().includes('s3cret-admin-token'), 'the token is not logged');
  });

  it('refuses to start on a non-loopback address without a token', async () => {
    const d = await startDaemon(`admin: { listen: "0.0.0.0:0" }\n${APP}`, { wait: false });
    daemons.push(d);
    const exit = await d.exited;
    assert.equal(exit.code, 2);
    await untilOutput(d, /admin\.listen: 0\.0\.0\.0:0 is not a loopback address; set admin\.token or admin\.token_file/);
  });
});
