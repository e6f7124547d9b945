/**
 * What the worker's per-request bookkeeping costs, measured by itself: a shared, noisy machine
 * moves hello-world throughput by more than the 3% metrics budget from one run to the next, so an
 * A/B of req/s alone cannot show a cost this small. Each loop makes fresh responses (as a server
 * does per request), finishes and closes them, with one variant of the bookkeeping:
 *
 * - bare: a plain ServerResponse, nothing else (what a raw node:cluster worker does);
 * - set + listener: the worker before metrics (a Set of open responses, a 'close' listener each);
 * - map + listener + metrics: the first metrics version (a Map of start times, two clock reads);
 * - tsgi: today's worker (daemon/worker/tsgi-response.ts): takeResponse() as the handler takes
 *   the response (its clock read, in flight), and the report at detachSocket (metrics, in flight).
 *
 * The worker's two hooks sit on ServerResponse.prototype (installResponseHooks), so here, as in a
 * worker, every row's responses pass through them; a response the worker did not take only meets
 * the check that it is not one of its own.
 *
 *   npm run build && node dist/bench/metrics-cost.js [--rounds 15] [--per-round 200000]
 */
import http from 'node:http';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { requestClosed } from '../daemon/worker/request-metrics.js';
import { installResponseHooks, responsesInFlight, takeResponse } from '../daemon/worker/tsgi-response.js';
import { machine, median } from './lib.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, 'per-round': { type: 'string', default: '200000' } } });
const ROUNDS = Number(values.rounds);
const N = Number(values['per-round']);
const req = new http.IncomingMessage(new Socket());
req.httpVersionMajor = 1;
req.httpVersionMinor = 1;

installResponseHooks();
let inflight = 0;

/**
 * What Node does with a response, minus the writes: it is given its connection (assignSocket),
 * end() marks it, 'prefinish' and 'finish', resOnFinish detaches it from the connection, then 'close'.
 */
const connection = new Socket();
function finish(res: http.ServerResponse, i: number): void {
  res.assignSocket(connection);
  res.statusCode = i % 10 === 0 ? 404 : 200;
  res.finished = true;
  res.emit('prefinish');
  res.emit('finish');
  res.detachSocket(connection);
  res.emit('close');
}

const openSet = new Set<http.ServerResponse>();
const openMap = new Map<http.ServerResponse, number>();
function onSetClose(this: http.ServerResponse): void {
  inflight--;
  openSet.delete(this);
}
function onMapClose(this: http.ServerResponse): void {
  inflight--;
  requestClosed(this, openMap.get(this)!);
  openMap.delete(this);
}

const variants: Record<string, () => void> = {
  bare() {
    for (let i = 0; i < N; i++) finish(new http.ServerResponse(req), i);
  },
  'set + listener'() {
    for (let i = 0; i < N; i++) {
      const res = new http.ServerResponse(req);
      inflight++;
      openSet.add(res);
      res.on('close', onSetClose);
      finish(res, i);
    }
  },
  'map + listener + metrics'() {
    for (let i = 0; i < N; i++) {
      const res = new http.ServerResponse(req);
      inflight++;
      openMap.set(res, performance.now());
      res.on('close', onMapClose);
      finish(res, i);
    }
  },
  tsgi() {
    for (let i = 0; i < N; i++) {
      const res = new http.ServerResponse(req);
      takeResponse(res);
      finish(res, i);
    }
  },
};

let sink = 0;
const clock = (): void => {
  for (let i = 0; i < N; i++) sink += performance.now();
};

/** ns per iteration */
function time(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / N;
}

// warm-up: every variant optimised before anything is timed
for (const f of Object.values(variants)) time(f);
time(clock);
const ns: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const clockNs: number[] = [];
const names = Object.keys(variants);
for (let r = 0; r < ROUNDS; r++) {
  // rotate the order, so a slow patch of the machine hits every variant alike
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + r) % names.length]!;
    ns[name]!.push(time(variants[name]!));
  }
  clockNs.push(time(clock));
}
if (sink === 0 || inflight !== 0 || responsesInFlight() !== 0) console.log(`(sink ${sink}, inflight ${inflight})`);

console.log(`\nPer-request bookkeeping in a worker — ${machine()}; ${ROUNDS} rounds × ${N} responses, order rotating, medians\n`);
console.log('| variant | ns per response | over bare |');
console.log('| --- | ---: | ---: |');
const bare = median(ns.bare!);
for (const name of names) console.log(`| ${name} | ${median(ns[name]!).toFixed(0)} | ${(median(ns[name]!) - bare).toFixed(0)} |`);
const clockMedian = median(clockNs);
const perRound = ns.tsgi!.map((v, i) => v - ns.bare![i]!);
console.log(`\none performance.now(): ${clockMedian.toFixed(0)} ns`);
console.log(`tsgi's bookkeeping (two clock reads, metrics, in flight): median ${median(perRound).toFixed(0)} ns per request (rounds: ${perRound.map((d) => d.toFixed(0)).join(' ')})`);
