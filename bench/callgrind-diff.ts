/**
 * Where two callgrind dumps of bench/instructions.ts differ, per request: by kind of code (the
 * garbage collector, V8's builtins such as its inline-cache handlers, JavaScript compiled by V8,
 * V8's optimising compiler, the rest of V8, node, libuv, libc) and by function, largest
 * differences first; the costs are each function's own, read from the dumps (bench/callgrind-costs.ts).
 *
 * Code V8 generates at run time is only an address to callgrind. Run the bench with --perf-map
 * and node writes /tmp/perf-<pid>.map, naming each piece (`JS:*parserOnIncoming node:_http_server:…`,
 * `*` marking optimised code); the map of a dump's process is found from the dump's name.
 *
 *   node dist/bench/instructions.js --perf-map --rounds 3
 *   node dist/bench/callgrind-diff.js [--requests 10000] [--top 40] A/cg.<pid>.3 B/cg.<pid>.3
 *
 * The garbage collector's share moves between runs by a few thousand instructions per request
 * (how often new space fills, which depends on how large V8 has let it grow): compare the other
 * lines across contenders, and that one across runs.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { byKind, selfCosts } from './callgrind-costs.js';
import { row } from './lib.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string', default: '10000' }, top: { type: 'string', default: '40' } },
});
const REQUESTS = Number(values.requests);
const TOP = Number(values.top);
if (positionals.length !== 2 || !(REQUESTS > 0) || !(TOP > 0)) throw new Error('usage: callgrind-diff.js [--requests N] [--top N] DUMP_A DUMP_B');

const dumps = positionals.map(selfCosts);
const [a, b] = dumps.map((costs) => new Map([...costs].map(([name, c]) => [name, c.ir]))) as [Map<string, number>, Map<string, number>];
const per = (n: number | undefined): string => ((n ?? 0) / REQUESTS).toFixed(0);
const names = positionals.map((d) => basename(d));

const [ka, kb] = dumps.map(byKind);
const kinds = [...ka!.keys()].map((k) => [k, [ka!.get(k)!, kb!.get(k)!]] as const);
const sum = (m: Map<string, number>): number => [...m.values()].reduce((x, y) => x + y, 0);
console.log(`Instructions per request (${REQUESTS} requests a dump)\n`);
console.log(row(['kind of code', names[0]!, names[1]!, 'B − A']));
console.log(row(['---', '---:', '---:', '---:']));
for (const [k, [x, y]] of [...kinds].sort((p, q) => q[1][1] - p[1][1])) console.log(row([k, per(x), per(y), per(y - x)]));
console.log(row(['**all**', per(sum(a)), per(sum(b)), per(sum(b) - sum(a))]));

console.log(`\nFunctions, largest differences first\n`);
console.log(row(['function', names[0]!, names[1]!, 'B − A']));
console.log(row(['---', '---:', '---:', '---:']));
const all = [...new Set([...a.keys(), ...b.keys()])];
all.sort((p, q) => Math.abs((b.get(q) ?? 0) - (a.get(q) ?? 0)) - Math.abs((b.get(p) ?? 0) - (a.get(p) ?? 0)));
for (const name of all.slice(0, TOP)) console.log(row([name.replaceAll('|', '\\|').slice(0, 110), per(a.get(name)), per(b.get(name)), per((b.get(name) ?? 0) - (a.get(name) ?? 0))]));
