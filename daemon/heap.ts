/**
 * tsgid's own heap, shaped so that memory comes back after a burst. V8 grows its young generation
 * (to 16 MB a semi-space) whenever a burst keeps objects alive across young collections, as a
 * flood of log lines does, and shrinks it only in a later collection; a daemon that goes quiet
 * allocates too little to run one, so the memory stays taken for good (a 1M-line flood to a slow
 * stdout: RSS 86 → 112 MB, and 112 MB still 10 s later). With the growth factor at 1 the young
 * generation keeps its first size; the burst instead ends in full collections, which arm V8's
 * memory reducer, and that gives the memory back within seconds (BENCHMARKS.md, log flood). The
 * arbiter routes connections without reading them, so more frequent young collections cost it
 * little. Only tsgid: the workers are the app's, with V8's defaults.
 */
import v8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  // read by V8 each time it would grow the young generation, so it applies after start-up too
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
