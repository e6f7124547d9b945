/**
 * The admin API as a source of truth, with real processes: changes made through it are written
 * back into the YAML file, so SIGHUP, `tsgictl config reload` and a restart of tsgid all keep the
 * running set; the diff says what a reload then does; read tokens get 403 on every change; the
 * audit records name the caller and never a secret.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import type { ReloadPlan } from '../daemon/config/diff.js';
import { adminAddress, get, startDaemon, TSGICTL, TSGID, type Daemon } from './helpers/daemon.js';
import { waitFor } from './helpers/wait.js';

const run = promisify(execFile);
const APP = 'node-app.mjs';
const YAML = `admin: { listen: "unix:admin.sock" }
# the shop's config: this comment must survive every write-back
apps:
  web:   # the storefront
    app: ./${APP}
    listen: "127.0.0.1:0"
    workers: 1
  side:
    app: ./${APP}
    listen: "127.0.0.1:0"
`;

/** name → [state, target]: what "the running set" means here */
async function runningSet(d: Daemon): Promise<Record<string, [string, number]>> {
  const s = await d.waitFor('apps settled', (st) => st.apps.every((a) => a.state === 'running' || a.state === 'stopped'));
  return Object.fromEntries(s.apps.map((a) => [a.name, [a.state, a.target]]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}

describe('API changes persist', { timeout: 240_000 }, () => {
  let d: Daemon | undefined;
  after(async () => void (await d?.stop()));

  it('add, scale and stop survive SIGHUP, config reload and a restart; the file keeps its comments', { timeout: 200_000 }, async () => {
    d = await startDaemon(YAML, { fixtures: [`daemon/${APP}`] });
    const file = join(d.dir, 'tsgi.yaml');
    assert.equal((await d.api('POST', '/v1/apps', { name: 'extra', app: `./${APP}`, listen: '127.0.0.1:0', env: { SECRET_KEY: 'hunter2-hunter2-hunter2' } })).status, 201);
    assert.equal((await d.api('POST', '/v1/apps/web/scale', { workers: 2 })).status, 200);
    assert.equal((await d.api('POST', '/v1/apps/side/stop')).status, 200);
    const want = { extra: ['running', 1], side: ['stopped', 1], web: ['running', 2] };
    assert.deepEqual(await runningSet(d), want);

    const text = readFileSync(file, 'utf8');
    assert.match(text, /# the shop's config: this comment must survive every write-back\n/);
    assert.match(text, /web: {3}# the storefront\n {4}app: \.\/node-app\.mjs\n {4}listen: "127\.0\.0\.1:0"\n {4}workers: 2\n/);
    assert.match(text, /side:\n[^]*autostart: false\n/);
    assert.match(text, /extra:\n {4}app: \.\/node-app\.mjs/);

    // the diff before a reload: nothing to do, every app unchanged
    const plan = (await d.api<ReloadPlan>('GET', '/v1/config/diff')).body;
    assert.deepEqual(plan.apps.map((p) => [p.app, p.action]).sort(), [['extra', 'unchanged'], ['side', 'unchanged'], ['web', 'unchanged']]);

    const gen = (await d.app('web')).generation;
    d.proc.kill('SIGHUP');
    await waitFor(() => /config reloaded/.test(d!.output()), { what: 'SIGHUP reload', detail: () => d!.output() });
    assert.deepEqual(await runningSet(d), want);
    const r = await run(process.execPath, [TSGICTL, '--socket', d.socket, '--json', 'config', 'reload']);
    assert.deepEqual(JSON.parse(r.stdout).unchanged.sort(), ['extra', 'side', 'web']);
    assert.equal((await d.app('web')).generation, gen, 'web was not rolled');
    assert.deepEqual(await runningSet(d), want);

    await d.stop();
    d = await startDaemon(readFileSync(file, 'utf8'), { dir: d.dir, wait: false });
    assert.deepEqual(await runningSet(d), want);
    assert.equal(readFileSync(file, 'utf8'), text, 'a restart writes nothing');

    // start takes autostart: false out; DELETE takes the entry out
    assert.equal((await d.api('POST', '/v1/apps/side/start')).status, 200);
    assert.equal((await d.api('DELETE', '/v1/apps/extra')).status, 200);
    assert.equal(readFileSync(file, 'utf8'), YAML.replace('workers: 1', 'workers: 2'));
  });

  it('the diff lists exactly what the reload then does, setting by setting', { timeout: 120_000 }, async () => {
    assert.ok(d);
    const file = join(d.dir, 'tsgi.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('workers: 2', 'workers: 3').replace(/ {2}side:\n(?: {4}.*\n)*/, '  other:\n    app: ./node-app.mjs\n    listen: "127.0.0.1:0"\n'));
    const dry = await run(process.execPath, [TSGICTL, '--socket', d.socket, 'config', 'reload', '--dry-run']);
    assert.match(dry.stdout, /~ web: roll \(rolling reload\)\n {4}workers: 2 → 3\n/);
    assert.match(dry.stdout, /- side: remove\n/);
    assert.match(dry.stdout, /\+ other: add\n/);
    const check = await run(process.execPath, [TSGID, '--check', '--diff', '-c', file]);
    assert.equal(check.stdout.split('\n').slice(1).join('\n'), dry.stdout);
    const plan = (await d.api<ReloadPlan>('GET', '/v1/config/diff')).body;
    const did = (await d.api<Record<string, string[]>>('POST', '/v1/config/reload')).body;
    const want = (a: string) => plan.apps.filter((p) => p.action === a).map((p) => p.app);
    assert.deepEqual([did.added, did.removed, did.changed, did.unchanged], [want('add'), want('remove'), want('roll'), want('unchanged')]);
    assert.deepEqual((await d.api<ReloadPlan>('GET', '/v1/config/diff')).body.apps.map((p) => p.action), ['unchanged', 'unchanged']);
  });

  it('a read-only config file refuses the change with TSGI_ERR_CONFIG_WRITE and applies nothing', { timeout: 60_000 }, async () => {
    assert.ok(d);
    const file = join(d.dir, 'tsgi.yaml');
    const { chmodSync } = await import('node:fs');
    chmodSync(file, 0o444);
    try {
      const r = await d.api<{ error: { code: string } }>('POST', '/v1/apps/web/scale', { workers: 1 });
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, 'TSGI_ERR_CONFIG_WRITE');
      assert.equal((await d.app('web')).target, 3);
    } finally {
      chmodSync(file, 0o644);
    }
  });
});

describe('roles and audit', { timeout: 120_000 }, () => {
  let d: Daemon | undefined;
  after(async () => void (await d?.stop()));
  const FULL = 'full-token-0123456789abcdef';
  const READ = 'read-token-0123456789abcdef';

  it('a read token gets 403 on every mutating route and 200 on status, metrics and events; audit names the caller, never a secret', { timeout: 100_000 }, async () => {
    d = await startDaemon(
      `admin:\n  listen: "127.0.0.1:0"\n  token: "${FULL}"\n  tokens:\n    grafana: { token: "\${READ_TOKEN}", role: read }\n# c\napps:\n  web:\n    app: ./${APP}\n    listen: "127.0.0.1:0"\n`,
      { fixtures: [`daemon/${APP}`], env: { READ_TOKEN: READ }, wait: false },
    );
    const base = `http://${await adminAddress(d)}`;
    const call = (method: string, path: string, token: string, body?: unknown) =>
      get(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    await waitFor(async () => (await call('GET', '/v1/apps', READ)).body.includes('"running"'), { what: 'web running', detail: () => d!.output() });

    // the event stream, opened with the read token, sees the audit records of what follows
    const events = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${READ}` } });
    assert.equal(events.status, 200);
    const reader = events.body!.getReader();
    let streamed = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        streamed += Buffer.from(value).toString();
      }
    })().catch(() => {});

    for (const [method, path, body] of [
      ['POST', '/v1/apps', { name: 'x', app: `./${APP}`, listen: '127.0.0.1:0' }],
      ['DELETE', '/v1/apps/web', undefined],
      ['POST', '/v1/apps/web/scale', { workers: 2 }],
      ...['start', 'stop', 'restart', 'reload'].map((a) => ['POST', `/v1/apps/web/${a}`, undefined]),
      ['POST', '/v1/apps/web/workers/1/stop', undefined],
      ['POST', '/v1/config/reload', undefined],
      ['GET', '/v1/apps/web/logs', undefined],
    ] as Array<[string, string, unknown]>) {
      const r = await call(method, path, READ, body);
      assert.equal(r.status, 403, `${method} ${path}: ${r.body}`);
      assert.equal(JSON.parse(r.body).error.code, 'TSGI_ERR_API_FORBIDDEN');
    }
    for (const path of ['/v1/apps', '/v1/apps/web', '/metrics', '/v1/config/diff', '/v1/apps/web/history']) assert.equal((await call('GET', path, READ)).status, 200, path);
    assert.equal((await call('POST', '/v1/apps/web/scale', FULL, { workers: 2 })).status, 200);
    assert.equal((await call('GET', '/v1/apps', 'wrong-token-0123456789')).status, 401);

    await waitFor(() => /"route":"\/v1\/apps\/:name\/scale"[^\n]*"status":200/.test(streamed), { what: 'the scale in the event stream', detail: () => streamed });
    await reader.cancel();
    await reading;
    // tsgid's log is written asynchronously: wait for the last records to reach it
    await waitFor(() => /"audit":\{[^\n]*"status":401/.test(d!.rawOutput()) && /"audit":\{[^\n]*"token":"admin"[^\n]*"status":200/.test(d!.rawOutput()), { what: 'the audit records in the log', detail: () => d!.output() });
    const log = d.rawOutput();
    const audits = log.split('\n').filter((l) => l.includes('"audit":')).map((l) => JSON.parse(l).audit as { who: { via: string; token?: string; address?: string }; route: string; status: number; code?: string });
    assert.ok(audits.some((a) => a.who.token === 'admin' && a.route === '/v1/apps/:name/scale' && a.status === 200 && a.who.address === '127.0.0.1'), log);
    assert.ok(audits.some((a) => a.who.token === 'grafana' && a.status === 403 && a.code === 'TSGI_ERR_API_FORBIDDEN'));
    assert.ok(audits.some((a) => a.status === 401 && a.who.via === 'unknown'));
    for (const secret of [FULL, READ, 'wrong-token-0123456789']) {
      assert.ok(!log.includes(secret), `tsgid's log holds ${secret}`);
      assert.ok(!streamed.includes(secret), `the event stream holds ${secret}`);
    }
  });
});
