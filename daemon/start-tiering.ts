/**
 * Imported first by tsgid's entry (main.ts), with young-generation.ts: no optimizing compiler
 * (TurboFan) while tsgid starts. Start-up runs much code a few times (the YAML parser, every
 * setting's validation, module evaluation, spawning the workers), enough for V8 to optimize some
 * of it on its compile threads; that touches ~4 MB of TurboFan's own code in the node binary and
 * leaves ~3 MB of compiler zones in those threads' malloc arenas, pages an idle daemon keeps for
 * good (RSS 60.8 → 53.7 MB with `node --no-opt`, BENCHMARKS.md). A raw cluster primary never
 * optimizes anything while idle. Once the apps are up (`optimizeFromNowOn`), V8 optimizes as usual,
 * so what runs hot later (handing connections under load) gets TurboFan's code as before.
 *
 * Left alone when the user chose for themselves (`--opt`, `--no-turbofan`, … on the command line or
 * in NODE_OPTIONS). Maglev (on by default from Node 22) is left as it is: its default differs by
 * version, and a flag set here could not be put back to a default it cannot read.
 */
import { setFlagsFromString } from 'node:v8';

const chosen = /--(no-)?(opt|turbofan)\b/.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '));

if (!chosen) setFlagsFromString('--no-turbofan');

/** From now on V8 optimizes hot code as it would have (main.ts: once every app has started). */
export function optimizeFromNowOn(): void {
  if (!chosen) setFlagsFromString('--turbofan');
}
