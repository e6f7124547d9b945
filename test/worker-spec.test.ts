/**
 * The settings → worker spec mapping (daemon/pool/worker-spec.ts), without a process: every limit
 * the table names reaches the worker as the setting's parsed value, and what the arbiter computes
 * (heartbeats, max_requests with its jitter, access log, TLS) follows the settings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appSection, parseAppInput, parsedDefault, topSection, type AppConfig } from '../daemon/config/index.js';
import { WORKER_LIMITS, workerSpec } from '../daemon/pool/worker-spec.js';

const FIXTURE_APPS = fileURLToPath(new URL('../../test/fixtures/apps/', import.meta.url));

function appConfig(input: Record<string, unknown> = {}): AppConfig {
  return parseAppInput('web', { app: './node-listener.mjs', listen: '127.0.0.1:0', ...input }, FIXTURE_APPS, parsedDefault(topSection.fields.max_workers));
}

describe('worker spec', () => {
  it('names only app settings in its limits table, and carries each one as parsed', { timeout: 10_000 }, () => {
    for (const setting of Object.values(WORKER_LIMITS)) assert.ok(Object.hasOwn(appSection.fields, setting), `${setting} is an app setting`);
    const c = appConfig({ limit_request_line: 1000, limit_request_body: '1MB', header_timeout: '3s', keepalive: 0, max_connections: 7, min_body_rate_grace: '2s' });
    const spec = workerSpec(c, 3, () => 0);
    assert.deepEqual(Object.keys(spec.limits).sort(), Object.keys(WORKER_LIMITS).sort());
    for (const [key, setting] of Object.entries(WORKER_LIMITS)) assert.equal(spec.limits[key as keyof typeof WORKER_LIMITS], c[setting], `limits.${key} is ${setting}`);
    assert.equal(spec.limits.requestLine, 1000);
    assert.equal(spec.limits.requestBody, 1024 * 1024);
    assert.equal(spec.limits.headerTimeout, 3000);
    assert.equal(spec.limits.keepAlive, 0);
    assert.equal(spec.limits.maxConnections, 7);
    assert.equal(spec.limits.bodyRateGrace, 2000);
  });

  it('gives the worker every setting declared with a `worker` name, each under its name, and only those', { timeout: 10_000 }, () => {
    const declared = Object.entries(appSection.fields).flatMap(([key, f]) => (f.is === 'setting' && f.worker !== undefined ? [[f.worker, key as keyof AppConfig] as const] : []));
    assert.ok(declared.length >= 10, `the HTTP limits are declared with their worker names (found ${declared.length})`);
    assert.equal(new Set(declared.map(([name]) => name)).size, declared.length, 'no two settings share a worker name');
    // a distinct value for each, so one that arrived under another's name would show
    const c = appConfig(Object.fromEntries(declared.map(([, key], i) => [key, 101 + i])));
    const spec = workerSpec(c, 1, () => 0);
    assert.deepEqual(Object.keys(spec.limits).sort(), declared.map(([name]) => name).sort());
    for (const [name, key] of declared) assert.equal((spec.limits as Record<string, unknown>)[name], c[key], `${key} reaches the worker as limits.${name}`);
    assert.equal(new Set(Object.values(spec.limits)).size, declared.length);
  });

  it('has the worker read every limit it is given, by its name', { timeout: 10_000 }, () => {
    const dir = fileURLToPath(new URL('../../daemon/worker/', import.meta.url));
    const source = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    for (const name of Object.keys(WORKER_LIMITS)) assert.match(source, new RegExp(`\\blimits\\.${name}\\b`), `daemon/worker/ reads limits.${name}`);
  });

  it('names the worker and its app, and passes what it loads unchanged', { timeout: 10_000 }, () => {
    const c = appConfig({ graceful_timeout: '7s', interface: 'node', umask: '0077' });
    const spec = workerSpec(c, 12, () => 0);
    assert.equal(spec.app, 'web');
    assert.equal(spec.workerId, 12);
    assert.equal(spec.cwd, c.cwd);
    assert.equal(spec.module, c.app);
    assert.equal(spec.interface, 'node');
    assert.equal(spec.gracefulTimeout, 7000);
    assert.equal(spec.umask, 0o077);
    assert.equal(spec.accessLog, undefined);
    assert.equal(spec.tls, undefined);
    assert.equal(spec.tlsError, undefined);
  });

  it('heartbeats well inside timeout, never more often than every 50ms nor rarer than every second', { timeout: 10_000 }, () => {
    const at = (timeout: string): [number, number] => {
      const s = workerSpec(appConfig({ timeout }), 1, () => 0);
      return [s.heartbeatInterval, s.heartbeatMax];
    };
    assert.deepEqual(at('30s'), [1000, 10_000]);
    assert.deepEqual(at('2s'), [500, 666]);
    assert.deepEqual(at('100ms'), [50, 50]);
  });

  it('spreads max_requests by 0..max_requests_jitter, and 0 stays 0 (never)', { timeout: 10_000 }, () => {
    assert.equal(workerSpec(appConfig({ max_requests: 0, max_requests_jitter: 50 }), 1, () => 0.99).maxRequests, 0);
    const c = appConfig({ max_requests: 100, max_requests_jitter: 10 });
    assert.equal(workerSpec(c, 1, () => 0).maxRequests, 100);
    assert.equal(workerSpec(c, 1, () => 0.5).maxRequests, 105);
    assert.equal(workerSpec(c, 1, () => 0.999).maxRequests, 110);
  });

  it('gives an access log spec only to an app that has one', { timeout: 10_000 }, () => {
    const spec = workerSpec(appConfig({ access_log: '/tmp/tsgi-spec-access.log', access_log_format: 'json', forwarded_allow_ips: ['10.0.0.1'] }), 1, () => 0);
    assert.deepEqual(spec.accessLog, { format: 'json', trusted: ['10.0.0.1'] });
  });

  it('reads the TLS files into the spec, or names the one it could not read', { timeout: 10_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-spec-'));
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    const c = { ...appConfig(), certfile: join(dir, 'cert.pem'), keyfile: join(dir, 'key.pem'), http2: true };
    assert.deepEqual(workerSpec(c, 1, () => 0).tls, { cert: 'CERT', key: 'KEY', http2: true });
    const gone = workerSpec({ ...c, keyfile: join(dir, 'missing.pem') }, 1, () => 0);
    assert.equal(gone.tls, undefined);
    assert.match(gone.tlsError ?? '', /missing\.pem/);
  });
});
