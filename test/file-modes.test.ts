/**
 * What tsgid writes is not open to other users: `.tsgi/` 0700 (tightened if an older tsgid made it
 * 0755), the pid file 0600, app and access logs with no bits for others.
 */
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIXTURES, get, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';
import { waitFor } from './helpers/wait.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('file modes', () => {
  let d: Daemon | undefined;
  after(() => d?.stop('SIGKILL'));

  it('runtime files are the owner\'s alone, logs are not readable by others', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.tsgi'), { mode: 0o755 });
    d = await startDaemon(`
logs: { dir: logs }
apps:
  web:
    app: ${join(FIXTURES, 'env')}/env-app.mjs
    listen: "127.0.0.1:0"
    access_log: logs/web.access.log
`, { dir });
    await get(`${await d.url('web')}/env?say`);
    const logs = join(dir, 'logs');
    const files = ['web.out.log', 'web.err.log', 'web.access.log'].map((f) => join(logs, f));
    const exists = (f: string): boolean => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    };
    // the lines are written within 100 ms; a file appears with its first line
    await waitFor(() => files.every(exists), { what: `the log files ${files.join(', ')}`, timeout: 10_000 });
    assert.equal(mode(join(dir, '.tsgi')), 0o700);
    assert.equal(mode(join(dir, '.tsgi/tsgid.pid')), 0o600);
    assert.equal(mode(logs) & 0o007, 0, `logs dir mode 0${mode(logs).toString(8)}`);
    for (const f of files) {
      assert.equal(mode(f) & 0o037, 0, `${f} mode 0${mode(f).toString(8)}`);
      assert.equal(mode(f) & 0o600, 0o600);
    }
  });
});
