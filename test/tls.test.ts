/**
 * TLS and HTTP/2 on app listeners: the arbiter hands over raw sockets, the worker speaks TLS;
 * a renewed certificate is served after a reload with no failed request; HTTP/2 with ALPN
 * fallback to HTTP/1.1; bad certificate settings are config errors naming the file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { isTsgiError } from '../daemon/errors.js';
import { parseConfig } from '../daemon/config/index.js';
import { FIXTURES, readyPids, startDaemon, tempDir } from './helpers/daemon.js';
import { selfSignedCert } from './helpers/tls.js';

const run = promisify(execFile);
const CWD = join(FIXTURES, 'upgrade');

/** A self-signed certificate for localhost into dir/<name>.crt and .key; returns its SHA-256 fingerprint. */
function makeCert(dir: string, name: string): string {
  selfSignedCert(dir, name);
  return new X509Certificate(readFileSync(join(dir, `${name}.crt`))).fingerprint256;
}

function yaml(app: string, extra = ''): string {
  return `
apps:
  web:
    app: ./${app}
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
    workers: 2
    certfile: tls.crt
    keyfile: tls.key
${extra}`;
}

interface Answer {
  status: number;
  body: string;
  fingerprint: string;
  alpn: string | false;
}

function httpsGet(url: string, agent?: https.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, ...(agent && { agent }) }, (res) => {
      const tls = res.socket as import('node:tls').TLSSocket;
      const fingerprint = tls.getPeerCertificate().fingerprint256;
      const alpn = tls.alpnProtocol ?? false;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint, alpn }));
    });
    req.on('error', reject);
  });
}

function h2Get(session: http2.ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve({ status, body }));
    req.on('error', reject);
  });
}

const httpsUrl = (url: string): string => url.replace(/^http:/, 'https:');

describe('TLS', () => {
  it('serves HTTPS to Node and curl; a reload after renewing the certificate serves the new one, failing no request', async () => {
    const dir = tempDir();
    const first = makeCert(dir, 'tls');
    const second = makeCert(dir, 'next');
    const d = await startDaemon(yaml('plain.mjs'), { dir });
    try {
      const url = httpsUrl(await d.url('web'));
      const a = await httpsGet(url);
      assert.equal(a.status, 200);
      assert.equal(a.body, 'plain 1.1\n');
      assert.equal(a.fingerprint, first);
      assert.equal((await run('curl', ['-sk', url])).stdout, 'plain 1.1\n');
      // plain HTTP on a TLS listener gets no answer from the app
      await assert.rejects(run('curl', ['-s', '--max-time', '3', url.replace(/^https:/, 'http:')]));

      const agent = new https.Agent({ keepAlive: true, maxSockets: 10 });
      let running = true;
      let ok = 0;
      const errors: string[] = [];
      const loop = async (): Promise<void> => {
        while (running) {
          try {
            const r = await httpsGet(url, agent);
            if (r.status === 200) ok++;
            else errors.push(`status ${r.status}`);
          } catch (err) {
            errors.push(String(err));
          }
        }
      };
      const loops = Array.from({ length: 10 }, loop);
      const before = readyPids(await d.status(), 'web');
      copyFileSync(join(dir, 'next.crt'), join(dir, 'tls.crt'));
      copyFileSync(join(dir, 'next.key'), join(dir, 'tls.key'));
      assert.equal((await d.api('POST', '/v1/apps/web/reload')).status, 200);
      await d.waitFor('old workers gone', (s) => s.apps[0]!.workers.every((w) => w.pid === undefined || !before.includes(w.pid)));
      running = false;
      await Promise.all(loops);
      agent.destroy();
      assert.deepEqual(errors, []);
      assert.ok(ok > 50, `the load kept going (${ok})`);
      assert.equal((await httpsGet(url)).fingerprint, second);
    } finally {
      await d.stop();
    }
  });

  it('HTTP/2 with ALPN fallback: http2.connect, curl --http2, and HTTP/1.1 clients on one port; fetch apps too', async () => {
    const dir = tempDir();
    makeCert(dir, 'tls');
    const d = await startDaemon(yaml('plain.mjs', '    http2: true\n').replace('plain.mjs', 'plain.mjs') + `
  edge:
    app: ./fetch.mjs
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
    certfile: tls.crt
    keyfile: tls.key
    http2: true
`, { dir });
    try {
      const url = httpsUrl(await d.url('web'));
      const session = http2.connect(url, { rejectUnauthorized: false });
      assert.deepEqual(await h2Get(session, '/'), { status: 200, body: 'plain 2.0\n' });
      session.close();
      const curl = await run('curl', ['-sk', '--http2', '-w', '%{http_version}', url]);
      assert.equal(curl.stdout, 'plain 2.0\n2');
      const h1 = await httpsGet(url);
      assert.equal(h1.body, 'plain 1.1\n');
      assert.equal(h1.alpn, false);
      assert.equal((await run('curl', ['-sk', '--http1.1', url])).stdout, 'plain 1.1\n');

      const edge = httpsUrl(await d.url('edge'));
      const s2 = http2.connect(edge, { rejectUnauthorized: false });
      assert.deepEqual(await h2Get(s2, '/x?y=1'), { status: 200, body: 'fetch /x\n' });
      s2.close();
    } finally {
      await d.stop();
    }
  });

  it('a reload sends GOAWAY to open HTTP/2 sessions and closes wss sockets (HTTP/1.1 upgrade on the h2 port) with 1001', async () => {
    const dir = tempDir();
    makeCert(dir, 'tls');
    const d = await startDaemon(yaml('ws-echo.mjs', '    http2: true\n    graceful_timeout: 10s\n'), { dir });
    try {
      const url = httpsUrl(await d.url('web'));
      const session = http2.connect(url, { rejectUnauthorized: false });
      const old = (await h2Get(session, '/')).body;
      const ws = new WebSocket(url.replace(/^https:/, 'wss:'), { rejectUnauthorized: false });
      const hello = await new Promise<string>((resolve, reject) => {
        ws.once('message', (m) => resolve(String(m)));
        ws.once('error', reject);
      });
      assert.match(hello, /^hello \d+$/);
      const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
      const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
      const before = readyPids(await d.status(), 'web');
      const started = Date.now();
      await d.api('POST', '/v1/apps/web/reload');
      await goaway;
      await closed;
      assert.equal(await wsClosed, 1001);
      assert.ok(Date.now() - started < 8000, 'closed on drain, not at graceful_timeout');
      const after = await d.waitFor('old workers gone', (s) => s.apps[0]!.workers.every((w) => w.pid === undefined || !before.includes(w.pid)));
      const fresh = http2.connect(url, { rejectUnauthorized: false });
      const body = (await h2Get(fresh, '/')).body;
      fresh.close();
      assert.notEqual(body, old);
      assert.ok(readyPids(after, 'web').includes(Number(body.split(' ')[1])));
      assert.doesNotMatch(d.output(), /Error/, 'the old workers drained without an error');
    } finally {
      await d.stop();
    }
  });
});

describe('TLS files at reload', () => {
  it('an unreadable key abandons the reload with a boot error naming it; the old workers keep serving', async () => {
    const dir = tempDir();
    const fingerprint = makeCert(dir, 'tls');
    const d = await startDaemon(yaml('plain.mjs'), { dir });
    try {
      const url = httpsUrl(await d.url('web'));
      const before = readyPids(await d.status(), 'web').sort();
      rmSync(join(dir, 'tls.key'));
      const r = await d.api<{ error: { code: string; message: string } }>('POST', '/v1/apps/web/reload');
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'TSGI_ERR_APP_BOOT');
      assert.match(r.body.error.message, new RegExp(`cannot read TLS file ${join(dir, 'tls.key')}: ENOENT`));
      assert.deepEqual(readyPids(await d.status(), 'web').sort(), before);
      assert.equal((await httpsGet(url)).fingerprint, fingerprint);
    } finally {
      await d.stop();
    }
  });
});

describe('TLS settings', () => {
  function fails(dir: string, extra: string, ...parts: string[]): void {
    const text = `apps:\n  web:\n    app: ./plain.mjs\n    cwd: ${JSON.stringify(CWD)}\n    listen: "127.0.0.1:8443"\n${extra}`;
    assert.throws(
      () => parseConfig(text, join(dir, 'tsgi.yaml'), {}),
      (err: unknown) => {
        assert.ok(isTsgiError(err), String(err));
        assert.equal(err.code, 'TSGI_ERR_CONFIG_INVALID');
        for (const part of parts) assert.ok(err.message.includes(part), `"${err.message}" should include "${part}"`);
        return true;
      },
    );
  }

  it('are parsed into absolute paths, http2 defaults to false', () => {
    const dir = tempDir();
    makeCert(dir, 'tls');
    const text = `apps:\n  web:\n    app: ./plain.mjs\n    cwd: ${JSON.stringify(CWD)}\n    listen: "127.0.0.1:8443"\n    certfile: tls.crt\n    keyfile: tls.key\n    ciphers: ECDHE+AESGCM\n`;
    const app = parseConfig(text, join(dir, 'tsgi.yaml'), {}).apps['web']!;
    assert.equal(app.certfile, join(dir, 'tls.crt'));
    assert.equal(app.keyfile, join(dir, 'tls.key'));
    assert.equal(app.ciphers, 'ECDHE+AESGCM');
    assert.equal(app.http2, false);
  });

  it('a missing, unreadable or mismatched pair is an error naming the path', () => {
    const dir = tempDir();
    makeCert(dir, 'tls');
    makeCert(dir, 'other');
    fails(dir, '    certfile: tls.crt\n', 'keyfile');
    fails(dir, '    certfile: tls.crt\n    keyfile: nope.key\n', join(dir, 'nope.key'), 'ENOENT');
    writeFileSync(join(dir, 'garbage.crt'), 'not a certificate\n');
    fails(dir, '    certfile: garbage.crt\n    keyfile: tls.key\n', join(dir, 'garbage.crt'));
    fails(dir, '    certfile: tls.crt\n    keyfile: other.key\n', join(dir, 'tls.crt'), join(dir, 'other.key'));
    fails(dir, '    certfile: tls.crt\n    keyfile: tls.key\n    ciphers: NOT-A-CIPHER\n', 'NOT-A-CIPHER');
    fails(dir, '    http2: true\n', 'http2', 'certfile');
  });
});
