/**
 * Processes as /proc shows them (Linux, like the suite): a process's descendants, and the
 * processes whose environment carries a mark. Used by helpers/procs.ts, which kills what a test
 * file left running, and by test/stress.ts, which looks for what a whole run left.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function procPids(): number[] {
  return readdirSync('/proc').filter((f) => /^\d+$/.test(f)).map(Number);
}

/** pid's descendants, parents before children. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of procPids()) {
    const ppid = parentOf(p);
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), p]);
  }
  const out: number[] = [];
  for (let i = 0, next = [pid]; i < next.length; i++) {
    for (const c of children.get(next[i]!) ?? []) {
      out.push(c);
      next.push(c);
    }
  }
  return out;
}

/** SIGKILL pid and its descendants, the parent first so it cannot replace the children. */
export function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)]) signal(p, 'SIGKILL');
}

/** The processes, other than this one, whose environment holds `key=value`. */
export function pidsWithEnv(key: string, value: string): number[] {
  const mark = `\0${key}=${value}\0`;
  return procPids().filter((p) => {
    if (p === process.pid) return false;
    try {
      return `\0${readFileSync(`/proc/${p}/environ`, 'latin1')}`.includes(mark);
    } catch {
      return false;
    }
  });
}

/** The command line of pid, its arguments joined by spaces; '' once it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
