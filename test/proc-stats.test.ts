/**
 * The sampler's /proc reader (Linux): figures that agree with what the process says of itself,
 * CPU that counts what was spent since the previous read, and a pid that is gone left out.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { procStatsAvailable, readProcStats } from '../daemon/os/proc-stats.js';

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
    // an idle process is read less often (up to every 8th call): the CPU shows within 8
    let busy = readProcStats([process.pid]).get(process.pid)!;
    for (let i = 1; i < 8 && busy.cpu === 0; i++) busy = readProcStats([process.pid]).get(process.pid)!;
    assert.ok(busy.cpu > 0, `cpu ${busy.cpu}`);
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await once(child, 'exit');
    const after = readProcStats([process.pid, child.pid!]);
    assert.equal(after.has(child.pid!), false);
    assert.ok(after.has(process.pid));
  });

  it('a partial call keeps the descriptors of the processes it does not name; a full one lets them go', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const held = (): number => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === `/proc/${child.pid}/stat`;
      } catch {
        return false;
      }
    }).length;
    try {
      readProcStats([process.pid, child.pid!]);
      assert.equal(held(), 1);
      readProcStats([process.pid], true);
      assert.equal(held(), 1, 'kept over a partial call');
      readProcStats([process.pid]);
      assert.equal(held(), 0, 'released by a full call that does not name it');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('leaves out a process that exited after it was first read', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      assert.ok(readProcStats([child.pid!]).has(child.pid!));
    } finally {
      child.kill('SIGKILL');
    }
    await once(child, 'exit');
    assert.equal(readProcStats([child.pid!]).has(child.pid!), false);
  });

  it('reads an idle process less often, but sees it use CPU again within 8 reads', { timeout: 60_000 }, async () => {
    // stopped, it uses no CPU at all; once continued it burns some and says so
    const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 200_000); console.log('burnt'); setInterval(() => {}, 1000); })`], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGSTOP');
      const pid = child.pid!;
      const first = readProcStats([pid]).get(pid)!;
      for (let i = 0; i < 20; i++) {
        const idle = readProcStats([pid]).get(pid)!;
        assert.equal(idle.cpuSeconds, first.cpuSeconds);
        assert.equal(idle.cpu, 0);
      }
      child.kill('SIGCONT');
      child.stdin!.write('go\n');
      await once(child.stdout!, 'data');
      let reads = 0;
      while (readProcStats([pid]).get(pid)!.cpuSeconds! < first.cpuSeconds! + 0.1) {
        reads++;
        assert.ok(reads <= 8, 'the busy process is read again within 8 calls');
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
});
