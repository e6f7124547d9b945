/** `tsgid --check` and start-up with bad configs, through the real binary: exit 2, one clear line per problem, no stack. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, ROOT, tempDir, TSGID } from './helpers/daemon.js';
import { freePort } from './helpers/nginx.js';

const D = join(FIXTURES, 'daemon');

function check(yaml: string): { code: number | null; out: string; err: string } {
  const dir = tempDir();
  const file = join(dir, 'tsgi.yaml');
  writeFileSync(file, yaml);
  const r = spawnSync(process.execPath, [TSGID, '--check', '-c', file], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertRejected(r: ReturnType<typeof check>, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.err}`);
  assert.match(r.err, pattern);
  assert.match(r.err, /tsgi\.yaml/, 'names the file');
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

describe('tsgid --check', () => {
  it('accepts config.example.yaml', { timeout: 60_000 }, async () => {
    // a copy beside the original (its paths are relative), on ports the OS says are free
    const text = readFileSync(join(ROOT, 'config.example.yaml'), 'utf8');
    const ports = [...new Set([...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]!))];
    assert.ok(ports.length > 0, 'the example listens on TCP ports');
    let copy = text;
    for (const p of ports) copy = copy.replaceAll(`127.0.0.1:${p}"`, `127.0.0.1:${await freePort()}"`);
    const file = join(ROOT, `config.example.check-${process.pid}.yaml`);
    writeFileSync(file, copy);
    try {
      const r = spawnSync(process.execPath, [TSGID, '--check', '-c', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /OK \(2 apps\)/);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('says OK with a warning for a file with no apps', () => {
    const r = check('');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /OK \(0 apps\)/);
    assert.match(r.err, /warning: .*no apps/);
  });

  it('refuses a non-loopback admin listener without a token, as the start would', () => {
    assertRejected(check('admin:\n  listen: "0.0.0.0:0"\n  token_file: ./none/token\n'), /tsgi\.yaml:2:11: admin\.listen: 0\.0\.0\.0:0 is not a loopback address; set admin\.token or admin\.token_file/);
  });

  it('reports every problem at once, each with its line, and names a repeated key', () => {
    const r = check(`apps:\n  web:\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:0"\n    worker: 2\n  api:\n    app: ./nowhere.mjs\n    listen: "127.0.0.1:0"\n`);
    assertRejected(r, /tsgi\.yaml:5:5: apps\.web\.worker: /);
    assert.match(r.err, /tsgi\.yaml:7:10: apps\.api\.app: module file not found/);
    assert.equal(r.err.trim().split('\n').length, 2, r.err);
    assertRejected(check(`apps:\n  web:\n    app: ${D}/node-app.mjs\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:0"\n`), /tsgi\.yaml:4:5: invalid YAML: the key "app" is given twice/);
  });

  it('rejects a YAML syntax error with its line', () => {
    assertRejected(check(`apps:\n  web:\n    app: ${D}/node-app.mjs\n    listen: [unclosed\n`), /tsgi\.yaml:\d+/);
  });

  it('rejects an unknown key, naming its path and line', () => {
    assertRejected(check(`apps:\n  web:\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:0"\n    worker: 2\n`), /tsgi\.yaml:5:\d+: apps\.web\.worker: .*workers/);
  });

  it('rejects a wrong type, naming its path and line', () => {
    assertRejected(check(`apps:\n  web:\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:0"\n    workers: two\n`), /tsgi\.yaml:5:\d+: apps\.web\.workers: expected an integer/);
  });

  it('rejects a missing app file', () => {
    assertRejected(check(`apps:\n  web:\n    app: ./nowhere/app.js\n    listen: "127.0.0.1:0"\n`), /tsgi\.yaml:3:\d+: apps\.web\.app: .*nowhere/);
  });

  it('rejects ports already taken, each with the file and line of its listen entry', async () => {
    const blockers = [net.createServer().listen(0, '127.0.0.1'), net.createServer().listen(0, '127.0.0.1')];
    await Promise.all(blockers.map((b) => new Promise((r) => b.once('listening', r))));
    const [a, b] = blockers.map((s) => (s.address() as net.AddressInfo).port);
    try {
      const r = check(`apps:\n  web:\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:${a}"\n  api:\n    app: ${D}/node-app.mjs\n    listen: ["127.0.0.1:0", "127.0.0.1:${b}"]\n`);
      assert.equal(r.code, 2);
      assert.match(r.err, new RegExp(`tsgi\\.yaml:4:13: apps\\.web\\.listen: 127\\.0\\.0\\.1:${a} is already in use`));
      assert.match(r.err, new RegExp(`tsgi\\.yaml:7:29: apps\\.api\\.listen\\[1\\]: 127\\.0\\.0\\.1:${b} is already in use`));
    } finally {
      for (const s of blockers) s.close();
    }
  });

  it('names the file and line of a listen address in use when tsgid really starts', { timeout: 60_000 }, async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dir = tempDir();
      const file = join(dir, 'tsgi.yaml');
      writeFileSync(file, `apps:\n  web:\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:${port}"\n`);
      const r = spawnSync(process.execPath, [TSGID, '-c', file], { cwd: dir, encoding: 'utf8', timeout: 50_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`tsgi\\.yaml:4:13: apps\\.web\\.listen: 127\\.0\\.0\\.1:${port} is already in use.*\\[TSGI_ERR_LISTEN_IN_USE\\]`));
    } finally {
      blocker.close();
    }
  });

  it('rejects a missing config file', () => {
    const r = spawnSync(process.execPath, [TSGID, '--check', '-c', '/nonexistent/tsgi.yaml'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\/nonexistent\/tsgi\.yaml/);
  });
});
