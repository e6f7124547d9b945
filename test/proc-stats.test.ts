/**
 * The sampler's /proc reader (Linux): figures that agree with what the process says of itself,
 * CPU that counts what was spent since the previous read, and a pid that is gone left out.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { procStatsAvailable, readProcStats } from '../daemon/proc-stats.js';

const skip = procStatsAvailable() ? false : 'needs Linux /proc';

function spin(cpuMs: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= cpuMs) return;
  }
}

describe('readProcStats', { skip }, () => {
  it('reads the memory and CPU time this process reports of itself', { timeout: 10_000 }, () => {
    const stats = readProcStats([process.pid]).get(process.pid);
    assert.ok(stats !== undefined);
    const rss = process.memoryUsage.rss();
    assert.ok(Math.abs(stats.rss - rss) < rss * 0.2, `rss ${stats.rss} against ${rss}`);
    const { user, system } = process.cpuUsage();
    // /proc counts in hundredths of a second
    assert.ok(Math.abs(stats.cpuSeconds! - (user + system) / 1e6) < 0.1, `cpu ${stats.cpuSeconds} against ${(user + system) / 1e6}`);
  });

  it('gives the CPU spent since the previous read, and leaves out a pid that is gone', { timeout: 30_000 }, async () => {
    readProcStats([process.pid]);
    spin(300);
    const busy = readProcStats([process.pid]).get(process.pid)!;
    assert.ok(busy.cpu > 0, `cpu ${busy.cpu}`);
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await once(child, 'exit');
    const after = readProcStats([process.pid, child.pid!]);
    assert.equal(after.has(child.pid!), false);
    assert.ok(after.has(process.pid));
  });
});
