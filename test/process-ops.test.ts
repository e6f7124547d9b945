/**
 * The OS boundary's spawn, when the process never starts: Node emits 'error' and no 'exit' for it,
 * so realOps reports the failure as a boot error and an exit itself. Without that, a worker that
 * never started stayed in the pool for ever, and a stop or a shutdown waited on it (a test file's
 * temp dir, the workers' cwd, removed under a running arbiter hung its shutdown).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { realOps } from '../daemon/os/process-ops.js';
import { workerSpec } from '../daemon/pool/worker-spec.js';
import { parseAppInput, parsedDefault, topSection } from '../daemon/config/index.js';
import { FIXTURES, tempDir } from './helpers/daemon.js';

test('a worker that cannot start (its cwd is gone) is reported as a boot error and an exit', { timeout: 30_000 }, async () => {
  const app = parseAppInput('web', { app: join(FIXTURES, 'apps/node-listener.mjs'), listen: '127.0.0.1:0' }, FIXTURES, parsedDefault(topSection.fields.max_workers));
  const spec = { ...workerSpec(app, 1, () => 0.5), cwd: join(tempDir(), 'gone') };
  const proc = realOps.spawn(spec, {});
  const messages: unknown[] = [];
  proc.onMessage((m) => messages.push(m));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.onExit((c, s) => resolve([c, s])));
  assert.equal(proc.pid, undefined);
  assert.deepEqual([code, signal], [127, null]);
  assert.equal(messages.length, 1);
  assert.match((messages[0] as { t: string; message: string }).message, /^TSGI_ERR_APP_BOOT: cannot start a worker in .*gone: ENOENT$/);
});
