/**
 * Counting the user-space instructions a process executes, with valgrind's callgrind
 * (bench/instructions.ts): a count of instructions is the same from run to run whatever else the
 * machine is doing, where a count of seconds is not.
 *
 * A server's worker is started through `wrapper()` in place of node; then, while it runs,
 * `zero()` resets its counters and `dumpIr()` writes them out and reads the total back.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sh = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Writes `<dir>/valgrind-node.sh`, which runs node (this one) under callgrind with its arguments,
 * dumps going to `<dir>/cg.<pid>.<n>`; returns its path, to use as a fork's execPath. Only
 * instructions are counted (no per-instruction or jump data): the smallest slowdown, ~50x.
 *
 * `perfMap`: node also writes /tmp/perf-<pid>.map (--perf-basic-prof), the addresses of the code
 * V8 generates, which callgrind only knows as bare addresses; bench/callgrind-diff.ts reads it to
 * name them. It costs both contenders alike, a few percent.
 *
 * `nodeFlags`: more flags for node (`--no-memory-reducer`, V8's `--trace-gc`, …). `traces`:
 * node's stdout (where V8 writes its traces) goes to `<dir>/node.<pid>.out` instead of where it went.
 */
export function wrapper(dir: string, perfMap = false, nodeFlags: readonly string[] = [], traces = false): string {
  const file = join(dir, 'valgrind-node.sh');
  const out = join(dir, 'cg.%p');
  const flags = [...(perfMap ? ['--perf-basic-prof'] : []), ...nodeFlags].map((f) => ` ${sh(f)}`).join('');
  // $$ is the shell's pid, which exec hands on to valgrind: the worker's pid
  const stdout = traces ? ` >${sh(join(dir, 'node.'))}"$$".out` : '';
  writeFileSync(file, `#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=${sh(out)} --dump-instr=no --collect-jumps=no -q ${sh(process.execPath)}${flags} "$@"${stdout}\n`);
  chmodSync(file, 0o755);
  return file;
}

function control(flag: string, pid: number): void {
  // callgrind_control answers "OK." once valgrind has done it; anything else (no such pid, not under callgrind) is a failure
  const r = spawnSync('callgrind_control', [flag, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.includes('OK.')) throw new Error(`callgrind_control ${flag} ${pid}: ${(r.error?.message ?? r.stdout + r.stderr).trim()}`);
}

export function zero(pid: number): void {
  control('-z', pid);
}

/** The newest dump of `pid` in `dir`: dumps are numbered cg.<pid>.1, .2, … */
export function lastDump(pid: number, dir: string): string {
  const n = Math.max(...readdirSync(dir).map((f) => (f.startsWith(`cg.${pid}.`) ? Number(f.slice(`cg.${pid}.`.length)) : 0)));
  return join(dir, `cg.${pid}.${n}`);
}

/** Dumps `pid`'s counts since the last zero (or dump) into `dir`; returns its instructions executed (Ir). */
export function dumpIr(pid: number, dir: string): number {
  control('-d', pid);
  const file = lastDump(pid, dir);
  const text = readFileSync(file, 'utf8');
  // summary: the dump's total, the figure callgrind_annotate reports (it falls back on totals: only without one)
  const m = /^summary: (\d+)$/m.exec(text);
  if (!m) throw new Error(`${file}: no summary line`);
  return Number(m[1]);
}
