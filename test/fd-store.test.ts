/**
 * systemd's fd store, as far as this machine allows (no systemd as PID 1, systemd-notify 252 has no
 * --fd): tsgid runs `systemd-notify --fd=3 --fdname=APP@tsgid FDSTORE=1` with its TCP socket at
 * fd 3 once its apps are ready (a stand-in systemd-notify records what it got), and a socket
 * given back under that name is tsgid's own, not a .socket unit's.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromFdStore } from '../daemon/os/fd-store.js';
import { PassedFds } from '../daemon/os/listen-fds.js';
import { startDaemon, tempDir } from './helpers/daemon.js';
import { freePort } from './helpers/nginx.js';
import { waitFor } from './helpers/wait.js';

describe('fd store', () => {
  it('gives systemd a copy of each TCP socket tsgid bound, named for its app', { timeout: 120_000 }, async () => {
    const bin = tempDir('tsgi-fake-notify-');
    const record = join(bin, 'record.txt');
    // records its arguments and what its fd 3 is, as the real one would send it
    writeFileSync(join(bin, 'systemd-notify'), `#!/bin/sh\necho "$* fd3=$(readlink /proc/self/fd/3 2>/dev/null)" >> ${record}\n`);
    chmodSync(join(bin, 'systemd-notify'), 0o755);
    const port = await freePort();
    const d = await startDaemon(`
apps:
  web:
    app: ./versioned.mjs
    listen: ["127.0.0.1:${port}", "unix:web.sock"]
    workers: 1
    user: ${process.getuid?.() === 0 ? 'root' : '~'}
`, { fixtures: ['daemon/versioned.mjs'], env: { PATH: `${bin}:${process.env.PATH}`, NOTIFY_SOCKET: join(bin, 'notify.sock'), FDSTORE: '8' } });
    try {
      // READY=1 and the fd store are two runs of systemd-notify, both once the apps are ready: either may come first
      const lines = await waitFor(() => {
        const all = existsSync(record) ? readFileSync(record, 'utf8').split('\n') : [];
        return all.some((l) => l.includes('FDSTORE=1')) && all.some((l) => l.includes('READY=1')) && all;
      }, { what: 'FDSTORE=1 and READY=1 sent', timeout: 30_000 });
      const stored = lines.filter((l) => l.includes('FDSTORE=1'));
      assert.equal(stored.length, 1, 'one fd store message');
      assert.match(stored[0]!, /^--fd=3 --fdname=web@tsgid FDSTORE=1 fd3=socket:\[\d+\]$/, 'one TCP socket, not the unix one tsgid bound');
    } finally {
      await d.stop();
    }
  });

  it('takes back sockets named APP@tsgid as its own; FDSTORE is not left for the workers', () => {
    const env: NodeJS.ProcessEnv = { FDSTORE: '8' };
    const passed = fromFdStore(new PassedFds([{ fd: 3, name: 'web@tsgid' }, { fd: 4, name: 'web' }]), env);
    assert.deepEqual(passed.all, [{ fd: 3, name: 'web', owned: {} }, { fd: 4, name: 'web' }]);
    assert.equal(env.FDSTORE, undefined);
    const plain = new PassedFds([{ fd: 3, name: 'web' }]);
    assert.equal(fromFdStore(plain, {}), plain);
  });
});
