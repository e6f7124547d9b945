/**
 * Imported first by tsgid's entry (main.ts), before any other module is evaluated: V8's young
 * generation may not grow past its initial size (1 MB a semi-space). Start-up (fastify's and ajv's
 * schema compilation, the config) allocates fast enough that V8 grows it to 16 MB (Node 20; 32 on
 * 22, 64 on 24), and an idle daemon keeps those pages for good: 15–18 MB of tsgid's RSS, for a
 * process whose steady work (the loop, heartbeats, accepted connections) allocates little. Set at
 * run time, so it holds however tsgid is started (`node main.js`, the bin, systemd's unit); V8
 * reads this flag each time it considers growing, unlike `--max-semi-space-size`, which counts only
 * on the command line. The cost: a burst of allocation (a large config reload) scavenges more often.
 *
 * It also gives memory back after a burst: a flood of log lines keeps objects alive across young
 * collections, and a grown young generation shrinks only in a later collection, which a daemon
 * gone quiet never runs (a 1M-line flood to a slow stdout: RSS 86 → 112 MB, still 112 MB 10 s
 * later). At its first size the burst ends in full collections, which arm V8's memory reducer
 * (BENCHMARKS.md, log flood). Only tsgid: the workers are the app's, with V8's defaults.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
