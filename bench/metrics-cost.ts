/**
 * What metrics add to a worker's request path, measured by itself: a shared, noisy machine moves
 * hello-world throughput by more than the 3% budget from one run to the next, so an A/B of
 * req/s alone cannot show a cost this small. Each loop makes fresh ServerResponse objects (as a
 * server does per request) and closes them; one variant also reads the clock at the start and
 * runs requestClosed.
 * The difference, in ns per request, set against a hello-world request's CPU cost (the "CPU
 * µs/req" column of bench/throughput.ts), is the overhead.
 *
 *   npm run build && node dist/bench/metrics-cost.js [--rounds 15] [--per-round 200000]
 */
import http from 'node:http';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { requestClosed } from '../daemon/worker/request-metrics.js';
import { machine, median } from './lib.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, 'per-round': { type: 'string', default: '200000' } } });
const ROUNDS = Number(values.rounds);
const N = Number(values['per-round']);
const req = new http.IncomingMessage(new Socket());

/** ns per response for N fresh responses, with or without the metrics calls. */
function loop(withMetrics: boolean): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const res = new http.ServerResponse(req);
    res.statusCode = i % 10 === 0 ? 404 : 200;
    // the worker keeps each open response in a Map (it did in a Set before metrics): the clock read is what metrics add here
    const started = withMetrics ? performance.now() : 0;
    // what end() leaves behind, so requestClosed takes the "answered" branch
    res.finished = true;
    if (withMetrics) requestClosed(res, started);
    sink += res.statusCode;
  }
  const ns = Number(process.hrtime.bigint() - t0) / N;
  if (sink === 0) console.log('');
  return ns;
}

// warm-up: both variants optimised before anything is timed
loop(false);
loop(true);
const diffs: number[] = [];
const bare: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // alternate which runs first, so a slow patch of the machine hits both
  let without: number;
  let withMetrics: number;
  if (r % 2 === 0) {
    without = loop(false);
    withMetrics = loop(true);
  } else {
    withMetrics = loop(true);
    without = loop(false);
  }
  bare.push(without);
  diffs.push(withMetrics - without);
}
console.log(`\nMetrics in the worker's request path — ${machine()}; ${ROUNDS} rounds × ${N} responses, alternating\n`);
console.log(`fresh ServerResponse, no metrics: median ${median(bare).toFixed(0)} ns`);
console.log(`added by metrics (start time + requestClosed): median ${median(diffs).toFixed(0)} ns per request (rounds: ${diffs.map((d) => d.toFixed(0)).join(' ')})`);
