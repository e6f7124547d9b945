/**
 * Imported first by tsgid's entry (main.ts), with young-generation.ts: no optimizing compiler
 * (TurboFan) while tsgid starts, nor while it idles. Start-up runs much code a few times (Node's
 * module loader, the YAML parser, every setting's validation, spawning the workers), and an idle
 * daemon with 100 workers runs its sampler and heartbeat checks every second: enough for V8 to
 * optimize some of it within a minute. The first optimization touches ~4 MB of TurboFan's own code
 * in the node binary, and its compile threads leave zones in their malloc arenas: pages the daemon
 * keeps for good (RSS 60.8 → 53.7 MB with `node --no-opt`, 1 worker; BENCHMARKS.md). A raw cluster
 * primary never optimizes anything while idle. Once tsgid is busy (`BUSY` of a second of CPU, e.g.
 * handing connections under load, a burst of logs, the admin API built), V8 optimizes as usual from
 * then on: what runs hot gets TurboFan's code as before, a second late at most. CPU time, not the
 * event loop's busy share: on a starved machine an idle loop's few callbacks take longer in wall
 * time (a 100-worker tsgid optimized at load average 30 when this read the event loop).
 *
 * Left alone when the user chose for themselves (`--opt`, `--no-turbofan`, … on the command line or
 * in NODE_OPTIONS). Maglev, V8's middle tier, is on by default from V8 13 (Node 24; off in Node 20
 * and 22): there it is held off and put back with TurboFan, unless the user chose (`--maglev`,
 * `--no-maglev`). Held off alone, TurboFan is not enough on Node 24: what Maglev optimized while
 * TurboFan was off stayed Maglev's code after TurboFan came back (test/start-tiering).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** tsgid's CPU time over a second from which V8 may optimize, in µs (an idle tsgid with 100 workers: ~0.1–0.2 % of a core) */
const BUSY = 50_000;

const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
const chosen = /--(no-)?(opt|turbofan)\b/.test(given);
/** Maglev on by default (V8 13+), not chosen by the user: held off and put back with TurboFan */
const maglev = Number(process.versions.v8.split('.')[0]) >= 13 && !/--(no-)?maglev\b/.test(given);

if (!chosen) {
  setFlagsFromString('--no-turbofan');
  if (maglev) setFlagsFromString('--no-maglev');
}

/**
 * Once every app has started (tsgid.ts): V8 optimizes from the first busy second on; and one full
 * collection, a second later, of what start-up left (the parsed YAML, the validation's objects),
 * which an idle daemon may otherwise keep in its old generation for good: ~2.5 MB of V8's pages
 * after some starts and not others, as its collections happened to fall.
 */
export function startedUp(): void {
  setTimeout(() => {
    collectOnce();
    // from after that collection, whose CPU time is start-up's
    if (!chosen) optimizeWhenBusy();
  }, 1000).unref();
}

function optimizeWhenBusy(): void {
  let last = process.cpuUsage();
  const timer = setInterval(() => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    if (used.user + used.system < BUSY) return;
    clearInterval(timer);
    setFlagsFromString('--turbofan');
    if (maglev) setFlagsFromString('--maglev');
  }, 1000).unref();
}

/** `gc()` in a context of its own: the daemon's global gets no `gc` (the flag counts for contexts made after it is set). */
function collectOnce(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  gc();
}
