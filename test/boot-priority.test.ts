/**
 * Booting workers at a lower CPU priority: every thread of a real process lowered at its start
 * and given back at ready, only where giving back is allowed (CAP_SYS_NICE or RLIMIT_NICE, read
 * from /proc files given here).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BOOT_NICE, BootPriority, mayRaisePriority } from '../daemon/pool/boot-priority.js';
import type { WorkerEvent } from '../daemon/pool/worker-record.js';

/** nice of every thread of `pid` (/proc/<pid>/task/<tid>/stat field 19) */
function nices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1').split(') ')[1]!.split(' ')[16]));
}

function fakeProc(status: string, limits: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-test-proc-'));
  writeFileSync(join(dir, 'status'), status);
  writeFileSync(join(dir, 'limits'), limits);
  return dir;
}

const event = (pid: number, from: WorkerEvent['from'], to: WorkerEvent['to']): WorkerEvent => ({ type: 'worker', app: 'a', worker: 1, pid, from, to, at: 0 });

describe('boot priority', () => {
  it('may give a priority back with CAP_SYS_NICE, or with RLIMIT_NICE 20; not without either', () => {
    const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax nice priority         ${soft}                    0\n`;
    assert.equal(mayRaisePriority(fakeProc('Name:\tnode\nCapEff:\t0000000000800000\n', limits('0'))), true);
    assert.equal(mayRaisePriority(fakeProc('Name:\tnode\nCapEff:\t0000000000000000\n', limits('20'))), true);
    assert.equal(mayRaisePriority(fakeProc('Name:\tnode\nCapEff:\t0000000000000000\n', limits('0'))), false);
    assert.equal(mayRaisePriority(fakeProc('Name:\tnode\nCapEff:\t00000000a07425fb\n', limits('0'))), false, "Docker's default set has no CAP_SYS_NICE");
  });

  it('lowers every thread of a booting process and gives it back at ready', { skip: mayRaisePriority() ? false : 'needs CAP_SYS_NICE', timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const p = new BootPriority(true);
      p.seen(event(child.pid!, 'starting', 'starting'), () => true);
      assert.ok(nices(child.pid!).every((n) => n === BOOT_NICE), `booting: ${nices(child.pid!)}`);
      // threads the process makes meanwhile take the lowered value; wait for Node's
      while (nices(child.pid!).length < 5) await new Promise((r) => setTimeout(r, 20));
      p.seen(event(child.pid!, 'starting', 'ready'), () => true);
      assert.ok(nices(child.pid!).every((n) => n === 0), `ready: ${nices(child.pid!)}`);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('does nothing where it could not give the priority back, nor while the app has nobody serving, and ignores a pid that is gone', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      new BootPriority(false).seen(event(child.pid!, 'starting', 'starting'), () => true);
      assert.ok(nices(child.pid!).every((n) => n === 0));
      new BootPriority(true).seen(event(child.pid!, 'starting', 'starting'), () => false);
      assert.ok(nices(child.pid!).every((n) => n === 0), 'nobody serving: nobody to yield to');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const p = new BootPriority(true);
    p.seen(event(child.pid!, 'starting', 'starting'), () => true);
    p.seen(event(child.pid!, 'starting', 'failed'), () => true);
  });
});
