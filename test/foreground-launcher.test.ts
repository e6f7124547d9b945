/**
 * watchLauncher for a tsgid an upgrade started: it watches the npm its predecessor watched, by
 * pid, and not its own parent (the predecessor, which exits once the new one serves).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { watchLauncher } from '../daemon/os/foreground.js';

test('an inherited launcher is watched by pid: its exit calls onGone, whatever the parent', { timeout: 30_000 }, async () => {
  const npm = spawn('sleep', ['60'], { stdio: 'ignore' });
  await once(npm, 'spawn');
  let gone: (pid: number) => void = () => {};
  const seen = new Promise<number>((resolve) => (gone = resolve));
  // no npm_command in the environment: only the inherited pid makes it watch
  assert.equal(watchLauncher((pid) => gone(pid), {}, npm.pid), npm.pid);
  npm.kill('SIGKILL');
  await once(npm, 'exit');
  // the watch's timer is unref'd (it must not keep tsgid alive): this one keeps the test's loop up
  const alive = setInterval(() => {}, 1000);
  try {
    assert.equal(await seen, npm.pid);
  } finally {
    clearInterval(alive);
  }
});

test('without npm exec and without an inherited launcher, nothing is watched', () => {
  assert.equal(
    watchLauncher(() => assert.fail('no launcher to lose'), {}),
    undefined,
  );
});
