/**
 * What V8 reported a worker doing during one cycle of bench/instructions.ts, when the workers run
 * with V8's trace flags (`--node-flags="--trace-gc --trace-deopt --trace-opt"`): the lines node
 * wrote to `node.<pid>.out` (bench/callgrind.ts) between the cycle's zero and its dump, counted.
 * V8 writes each line as it happens, so the file's size at zero and at dump bound the cycle's.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

export function traceSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

function read(file: string, from: number, to: number): string {
  if (to <= from) return '';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const KINDS: Array<[string, RegExp]> = [
  ['scavenges', /: Scavenge\b/],
  ['mark-compacts', /: Mark-Compact\b/],
  ['of them by the memory reducer', /: Mark-Compact \(reduce\)/],
  ['deopts', /\[bailout \(kind:/],
  ['code marked for deopt', /\[marking dependent code/],
  ['compiled (TurboFan)', /\[completed compiling/],
];

/** `scavenges 12, mark-compacts 1, deopts 3, …` for the trace lines from `from` to `to` bytes, or '' when there are none. */
export function traceSummary(file: string, from: number, to: number): string {
  const lines = read(file, from, to).split('\n');
  const counts = KINDS.map(([name, re]) => [name, lines.filter((l) => re.test(l)).length] as const).filter(([, n]) => n > 0);
  return counts.map(([name, n]) => `${name} ${n}`).join(', ');
}

/** The reasons of the deopts from `from` to `to`, most frequent first, for a closer look at a cycle that recompiled. */
export function deoptReasons(file: string, from: number, to: number): string[] {
  const reasons = new Map<string, number>();
  for (const l of read(file, from, to).split('\n')) {
    const marked = /\[marking dependent code (?:.*<SharedFunctionInfo ([^>]*)>)?.*reason: ([^\]]*)\]/.exec(l);
    if (marked) {
      const key = `${marked[1] || '(code)'} marked: ${marked[2]}`;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
      continue;
    }
    const m = /\[bailout \(kind: ([^,)]+)(?:, reason: (.*?))?\): begin\. deoptimizing \S+ <JSFunction ([^ >(]*)/.exec(l);
    if (!m) continue;
    const key = `${m[3] || '(anonymous)'} ${m[1]}: ${m[2] ?? '?'}`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  return [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n}× ${r}`);
}
