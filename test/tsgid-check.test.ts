/** `tsgid --check` and start-up with bad configs, through the real binary: exit 2, one clear line, no stack. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, ROOT, tempDir, TSGID } from './helpers/daemon.js';

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
  it('accepts config.example.yaml', () => {
    const r = spawnSync(process.execPath, [TSGID, '--check', '-c', join(ROOT, 'config.example.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /OK \(2 apps\)/);
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

  it('rejects a port already taken', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = check(`apps:\n  web:\n    app: ${D}/node-app.mjs\n    listen: "127.0.0.1:${port}"\n`);
      assert.equal(r.code, 2);
      assert.match(r.err, new RegExp(`apps\\.web\\.listen: 127\\.0\\.0\\.1:${port} is already in use`));
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
