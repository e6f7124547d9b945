/**
 * Where two callgrind dumps of bench/instructions.ts differ, per request: by kind of code (the
 * garbage collector, V8's builtins such as its inline-cache handlers, JavaScript compiled by V8,
 * the rest of V8, node, libuv, libc) and by function, largest differences first.
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
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { row } from './lib.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string', default: '10000' }, top: { type: 'string', default: '40' } },
});
const REQUESTS = Number(values.requests);
const TOP = Number(values.top);
if (positionals.length !== 2 || !(REQUESTS > 0) || !(TOP > 0)) throw new Error('usage: callgrind-diff.js [--requests N] [--top N] DUMP_A DUMP_B');

interface Code {
  start: number;
  end: number;
  name: string;
}

function perfMap(pid: string): Code[] {
  const file = `/tmp/perf-${pid}.map`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start, size, ...name] = line.split(' ');
      return { start: parseInt(start!, 16), end: parseInt(start!, 16) + parseInt(size!, 16), name: name.join(' ') };
    })
    .sort((a, b) => a.start - b.start);
}

function lookup(codes: Code[], address: number): string | undefined {
  let lo = 0;
  let hi = codes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (codes[mid]!.start <= address) lo = mid + 1;
    else hi = mid - 1;
  }
  const c = codes[hi];
  return c !== undefined && address < c.end ? c.name : undefined;
}

const GC = /Scaveng|IterateObjectCache|RootScavenge|RecordWrite|Heap::|MemoryChunk|Evacuat|BodyDescriptor|Sweeper|Mark(ing|Compact)|SlotSet|RememberedSet|GCTracer|heap::base/;

function kind(name: string): string {
  if (GC.test(name)) return 'garbage collector';
  if (name.startsWith('JS')) return 'JavaScript (V8-compiled)';
  if (name.startsWith('Builtins_')) return 'V8 builtins (ICs, stubs)';
  if (name.includes('v8::')) return 'V8, other';
  if (name.includes('node::')) return 'node';
  if (/\buv_|uv__/.test(name)) return 'libuv';
  if (/libc\.so|libstdc\+\+/.test(name)) return 'libc, libstdc++';
  return 'other';
}

/** Self cost per function (instructions), from callgrind_annotate, with V8's generated code named. */
function load(dump: string): Map<string, number> {
  const pid = /^cg\.(\d+)\.\d+$/.exec(basename(dump))?.[1];
  if (pid === undefined) throw new Error(`${dump}: expected a dump named cg.<pid>.<n>`);
  const codes = perfMap(pid);
  const r = spawnSync('callgrind_annotate', ['--threshold=100', dump], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`callgrind_annotate ${dump}: ${r.error?.message ?? r.stderr}`);
  const total = Number(/^([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/m.exec(r.stdout)?.[1]!.replaceAll(',', ''));
  const costs = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (!m || m[2]!.includes('PROGRAM TOTALS')) continue;
    const ir = Number(m[1]!.replaceAll(',', ''));
    // main, node::Start and the like: the frames on the stack when counting began, listed with everything under them
    if (ir > total * 0.9) continue;
    let name = m[2]!.replace(/^\S*?:/, '').replace(/ \[[^\]]*\]$/, '');
    const address = /^0x([0-9a-f]+)/.exec(name);
    if (address) name = lookup(codes, parseInt(address[1]!, 16)) ?? `JS? ${name}`;
    costs.set(name, (costs.get(name) ?? 0) + ir);
  }
  return costs;
}

const [a, b] = positionals.map(load) as [Map<string, number>, Map<string, number>];
const per = (n: number | undefined): string => ((n ?? 0) / REQUESTS).toFixed(0);
const names = positionals.map((d) => basename(d));

const kinds = new Map<string, [number, number]>();
for (const [i, costs] of [a, b].entries()) {
  for (const [name, ir] of costs) {
    const k = kinds.get(kind(name)) ?? [0, 0];
    k[i as 0 | 1] += ir;
    kinds.set(kind(name), k);
  }
}
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
