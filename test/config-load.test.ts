import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appModules, loadConfig, parseConfig, sameAppConfig } from '../daemon/config/index.js';

const dir = fileURLToPath(new URL('../../test/fixtures/config/full', import.meta.url));
const file = join(dir, 'tsgi.yaml');
const env = { TSGI_TEST_TOKEN: 's3cret' };

const recycling = { max_requests: 0, max_requests_jitter: 0, max_memory: 0, backlog: 2048, balance: 'round-robin' as const, slow_start: 2000, relay_max_message: 1024 * 1024, hold_timeout: 30_000, watch: false as const, http2: false, inherit_env: false, autostart: true, extra_listen: 'refuse' as const };
const privileges = { umask: 0o027 };
const limits = { limit_request_line: 4094, limit_request_fields: 100, limit_request_field_size: 8190, limit_request_body: 10 * 1024 * 1024, min_body_rate: 240, min_body_rate_grace: 5000, header_timeout: 10_000, keepalive: 5000, max_connections: 1000, request_timeout: 0, overlap: 'skip', run_timeout: 3_600_000 };
const logging = { access_log_format: 'combined' as const, forwarded_allow_ips: ['127.0.0.1'] };
const defaults = { graceful_timeout: 30_000, boot_timeout: 30_000, timeout: 30_000, ...recycling, ...limits, ...logging, ...privileges };
const defaultRestart = { backoff_initial: 500, backoff_max: 10_000, max_failures: 5, window: 60_000, min_uptime: 1000, retry_failed: 60_000 };

test('a full config parses to exact values: defaults applied, paths resolved, durations in ms', () => {
  const config = loadConfig(file, env);
  assert.deepEqual(config, {
    file,
    dir,
    admin: { listen: { kind: 'tcp', host: '127.0.0.1', port: 9900, raw: '127.0.0.1:9900' }, token: 's3cret', token_file: join(dir, 'secrets/admin.token'), tokens: {} },
    pidfile: join(dir, 'run/tsgid.pid'),
    stats_interval: 1000,
    max_workers: 8,
    max_concurrent_boots: 0,
    shutdown_delay: 0,
    upgrade_timeout: 60_000,
    logs: { dir: join(dir, 'log'), max_size: 64 * 1024, keep: 2, gzip: true },
    env_references: [
      { name: 'TSGI_TEST_TOKEN', path: ['admin', 'token'] },
      { name: 'SITE_WORKERS', path: ['apps', 'site', 'workers'] },
    ],
    apps: {
      hello: {
        name: 'hello',
        app: './app.ts:make()',
        interface: 'node',
        listen: [{ kind: 'tcp', host: '127.0.0.1', port: 8000, raw: '127.0.0.1:8000' }],
        workers: 2,
        cwd: dir,
        env: { NODE_ENV: 'production', PORT: '8000', DEBUG: 'false' },
        graceful_timeout: 10_000,
        boot_timeout: 60_000,
        timeout: 1500,
        restart: { backoff_initial: 250, backoff_max: 3_600_000, max_failures: 3, window: 120_000, min_uptime: 1000, retry_failed: 60_000 },
        ...recycling,
        ...privileges,
        ...limits,
        limit_request_body: 10 * 1024 * 1024,
        request_timeout: 20_000,
        keepalive: 0,
        stderr_log: '-',
        access_log: join(dir, 'log/hello.access.log'),
        access_log_format: 'json',
        forwarded_allow_ips: ['10.0.0.1', '::1'],
      },
      site: {
        name: 'site',
        mounts: { '/api': './api', '/': './site.mjs:handler' },
        interface: 'auto',
        listen: [
          { kind: 'tcp', host: '::1', port: 8001, raw: '[::1]:8001' },
          { kind: 'unix', path: join(dir, 'run/site.sock'), raw: 'unix:run/site.sock' },
          { kind: 'tcp', host: '0.0.0.0', port: 0, raw: ':0' },
        ],
        workers: 3, // ${SITE_WORKERS:-3}: the default, read as a number
        cwd: join(dir, 'sub'),
        env: {},
        ...defaults,
        restart: defaultRestart,
      },
      minimal: {
        name: 'minimal',
        app: './app',
        interface: 'auto',
        listen: [{ kind: 'tcp', host: 'localhost', port: 0, raw: 'localhost:0' }],
        workers: 1,
        cwd: dir,
        env: {},
        ...defaults,
        restart: defaultRestart,
      },
    },
  });
});

test('an empty file is a valid config with no apps and every default', () => {
  const config = parseConfig('', file, {});
  assert.deepEqual(config.apps, {});
  assert.deepEqual(config.admin, { listen: { kind: 'unix', path: join(dir, '.tsgi/admin.sock'), raw: 'unix:.tsgi/admin.sock' }, token_file: join(dir, '.tsgi/admin.token'), tokens: {} });
  assert.equal(config.pidfile, join(dir, '.tsgi/tsgid.pid'));
  assert.equal(config.max_workers, 128);
  assert.deepEqual(config.logs, { max_size: 10 * 1024 * 1024, keep: 5, gzip: false });
});

test('${VAR} is read from the env argument; ${VAR:-default} falls back when unset or empty', () => {
  const text = 'apps:\n  a:\n    app: ${APP:-./app.ts}\n    listen: "127.0.0.1:${PORT}"\n    workers: ${N:-2}\n    env: { LITERAL: "$${HOME}" }\n';
  const a = parseConfig(text, file, { PORT: '7000', N: '' }).apps.a;
  assert.equal(a?.app, './app.ts');
  assert.equal(a?.listen[0]?.kind === 'tcp' && a.listen[0].port, 7000);
  assert.equal(a?.workers, 2);
  assert.deepEqual(a?.env, { LITERAL: '${HOME}' });
  assert.equal(parseConfig(text, file, { PORT: '7000', N: '4' }).apps.a?.workers, 4);
});

test('module strings stay as written; their files are found against the app cwd', () => {
  const { hello, site, minimal } = loadConfig(file, env).apps;
  assert.deepEqual(
    appModules(hello!).map((m) => [m.ref, m.modulePath, m.exportName, m.factory, m.file]),
    [['./app.ts:make()', './app.ts', 'make', true, join(dir, 'app.ts')]],
  );
  assert.deepEqual(
    appModules(site!).map((m) => [m.key, m.file]),
    [
      [['mounts', '/api'], join(dir, 'sub/api/index.ts')],
      [['mounts', '/'], join(dir, 'sub/site.mjs')],
    ],
  );
  assert.equal(appModules(minimal!)[0]?.file, join(dir, 'app.ts'));
});

test('sameAppConfig compares parsed apps deeply, ignoring key order', () => {
  const a = loadConfig(file, env).apps;
  const b = loadConfig(file, env).apps;
  assert.ok(sameAppConfig(a.hello!, b.hello!));
  assert.ok(sameAppConfig(a.site!, { ...b.site!, restart: { ...b.site!.restart } }));
  assert.ok(!sameAppConfig(a.hello!, { ...b.hello!, workers: 3 }));
  assert.ok(!sameAppConfig(a.hello!, { ...b.hello!, env: { ...b.hello!.env, EXTRA: '1' } }));
  assert.ok(!sameAppConfig(a.site!, { ...b.site!, listen: b.site!.listen.slice(1) }));
  assert.ok(!sameAppConfig(a.hello!, a.minimal!));
});

test('loadConfig reads a file written anywhere; relative paths resolve against its directory', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'tsgi-config-'));
  try {
    await writeFile(join(tmp, 'main.mjs'), 'export default () => {}\n');
    await writeFile(join(tmp, 'tsgi.yaml'), 'pidfile: x.pid\napps:\n  m:\n    app: main.mjs\n    listen: unix:m.sock\n');
    const config = loadConfig(join(tmp, 'tsgi.yaml'), {});
    assert.equal(config.dir, tmp);
    assert.equal(config.pidfile, join(tmp, 'x.pid'));
    assert.deepEqual(config.apps.m?.listen, [{ kind: 'unix', path: join(tmp, 'm.sock'), raw: 'unix:m.sock' }]);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
