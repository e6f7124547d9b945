/**
 * tsgid on a terminal writes its log for a person, coloured; with NO_COLOR (https://no-color.org)
 * the same lines without escape codes. script(1) gives it the terminal; an admin port already taken
 * makes it exit right after its first log lines (the app's sockets), so nothing waits on a clock.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, TSGID, tempDir, writeConfig } from './helpers/daemon.js';
import { join } from 'node:path';

const ESC = '\u001b[';

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('tsgid on a terminal', { skip: !hasScript() && 'no script(1) to give tsgid a terminal' }, () => {
  let taken: net.Server;
  let dir: string;

  before(async () => {
    taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    dir = tempDir('tsgi-nocolor-');
    writeConfig(dir, `admin: { listen: "127.0.0.1:${port}", token: "t" }\napps:\n  web:\n    app: ${join(FIXTURES, 'daemon/node-app.mjs')}\n    listen: "127.0.0.1:0"\n    workers: 1\n`);
  });

  after(() => taken?.close());

  const run = (env: NodeJS.ProcessEnv): string => {
    try {
      return execFileSync('script', ['-qec', `"${process.execPath}" "${TSGID}" -c tsgi.yaml`, '/dev/null'], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    } catch (err) {
      return String((err as { stdout?: string }).stdout ?? '');
    }
  };

  it('colours its log, and not with NO_COLOR', { timeout: 120_000 }, () => {
    const env = { ...process.env };
    delete env.NO_COLOR;
    const coloured = run(env);
    assert.match(coloured, /web: listening on/);
    assert.ok(coloured.includes(ESC), 'escape codes on a terminal');
    const plain = run({ NO_COLOR: '1' });
    assert.match(plain, /web: listening on/);
    assert.ok(!plain.includes(ESC), `no escape codes with NO_COLOR: ${JSON.stringify(plain.slice(0, 200))}`);
  });
});
