/**
 * Nothing a test file starts outlives it. Every process a test spawns (tsgid, tsgictl, nginx,
 * systemd-socket-activate, `script`) is `track`ed; and every process started from this one with
 * its environment carries LC_TSGI_TEST_OWNER=<this pid>, so the workers of a tsgid that was killed,
 * reparented to init, are still known as ours. When the file's tests are done (a root `after`
 * hook, which runs even when a `before` failed or a test timed out), when the process exits, and
 * on SIGTERM/SIGINT/SIGHUP (node --test sends SIGTERM to a file past --test-timeout), whatever is
 * left is SIGKILLed and its pipes closed, so a piped stdio cannot keep the file's process alive.
 * Then the temp dirs the file made (helpers/daemon.ts's tempDir) are removed, unless
 * TSGI_TEST_KEEP_TMP=1 (to look at a failed test's files).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { after } from 'node:test';
import { descendants, killTree, pidsWithEnv, signal } from './proc-tree.js';
import { scaled } from './wait.js';

// an LC_* name: tsgid gives its workers an allow-list of its environment (pool/worker-env.ts),
// which has LC_* (locale names; glibc ignores one it does not know) and nothing else of the tests'
const OWNER = 'LC_TSGI_TEST_OWNER';
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
/** under node --test (each file in its own process) or a test file run directly; not bench/, which imports these helpers too */
const UNDER_TEST = process.env.NODE_TEST_CONTEXT !== undefined || /\.test\.[cm]?js$/.test(process.argv[1] ?? '');

/** Register `child` to be killed, with everything it started, if it is still running when the file ends. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Remove `dir` when the file ends, after its processes are gone. */
export function removeAtEnd(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** SIGKILL a spawned process and what it started, close its pipes, and wait for its exit. */
export async function abandon(child: ChildProcess): Promise<void> {
  const running = child.exitCode === null && child.signalCode === null;
  const exited = running ? once(child, 'exit') : Promise.resolve();
  if (running && child.pid !== undefined) killTree(child.pid);
  for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
  await exited;
}

/** Kill what this file left running, and remove its temp dirs; the count of processes killed. */
export function reapAll(): number {
  let n = 0;
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      n += 1 + descendants(child.pid).length;
      killTree(child.pid);
    }
    for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
    child.unref();
  }
  live.clear();
  for (const p of pidsWithEnv(OWNER, String(process.pid))) {
    n++;
    signal(p, 'SIGKILL');
  }
  for (const d of process.env.TSGI_TEST_KEEP_TMP === '1' ? [] : dirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // left for the OS's temp cleaning; nothing to fail a test over
    }
  }
  dirs.clear();
  return n;
}

process.env[OWNER] = String(process.pid);
process.on('exit', () => void reapAll());
if (UNDER_TEST) {
  after(async () => {
    // a process a test signalled in its `finally` may still be on its way out: a moment for it
    const exits = [...live].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => once(c, 'exit'));
    if (exits.length > 0) await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, scaled(1000)).unref())]);
    const n = reapAll();
    if (n > 0) process.stderr.write(`# test/helpers/procs.ts: killed ${n} process(es) a test left running\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => {
      reapAll();
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[sig]);
    });
  }
}
