/**
 * What a TypeScript worker costs against the same app in JavaScript: one hello-world worker under
 * tsgid, boot time (the arbiter's spawn → the worker's ready, from the worker's own status) of the
 * first worker and of a replacement (`POST /v1/apps/hello/workers/1/stop`: the compile cache is
 * warm by then), the replacement's CPU time (user + system, boot and one answer) and its RSS 3 s
 * after its first answer. Run it with each Node:
 * tsgid runs on the Node that runs this.
 *
 * Variants: `js` (hello.mjs); `ts` (hello.ts, a tsconfig of Node's type-stripping recipe: Node's
 * stripping through the cache where Node strips, tsx on Node 20); `ts-nocache` (the same with
 * .tsgi/cache/ts made unusable, mode 0755: what a worker cost before the cache); with `--nest`,
 * test/fixtures/nest-app (SWC, decorator metadata) with and without the cache. `--tsgid` runs
 * another build (a before/after).
 *
 *   npm run build && node dist/bench/ts-worker.js [--runs 5] [--nest] [--tsgid /work/main/dist/daemon/main.js]
 *   /opt/tsgi-ci/node-22/node dist/bench/ts-worker.js --runs 5 --nest
 */
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { adminGet, cpuSeconds, HELLO, machine, median, ROOT, row, rssMB, scratch, sleep, startTsgid, TSGID, waitUntil } from './lib.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, nest: { type: 'boolean', default: false }, tsgid: { type: 'string', default: TSGID } } });
const RUNS = Number(values.runs);
const strips = Boolean((process.features as { typescript?: unknown }).typescript);

interface Worker {
  id: number;
  pid: number;
  state: string;
  started_at: number;
  ready_at: number | null;
}
interface Variant {
  name: string;
  /** writes the app into `dir`; returns its `app:` reference */
  make(dir: string): string;
}

const RECIPE = { compilerOptions: { module: 'nodenext', erasableSyntaxOnly: true, verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true } };
const HELLO_TS = `import type { IncomingMessage, ServerResponse } from 'node:http';\nexport default (req: IncomingMessage, res: ServerResponse): void => { res.end('hello world'); };\n`;

function tsApp(dir: string): string {
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(RECIPE));
  writeFileSync(join(dir, 'hello.ts'), HELLO_TS);
  return './hello.ts';
}
function nestApp(dir: string): string {
  cpSync(join(ROOT, 'test/fixtures/nest-app'), dir, { recursive: true, filter: (src) => !src.includes('.tsgi') });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return './src/main.ts:make()';
}
/** .tsgi/cache/ts open to others: the worker turns the cache off and transpiles in memory. */
function noCache(dir: string): void {
  mkdirSync(join(dir, '.tsgi/cache/ts'), { recursive: true, mode: 0o755 });
}

const variants: Variant[] = [
  { name: 'js', make: (dir) => (writeFileSync(join(dir, 'hello.mjs'), HELLO), './hello.mjs') },
  { name: 'ts', make: tsApp },
  ...(strips ? [{ name: 'ts-nocache', make: (dir: string) => (noCache(dir), tsApp(dir)) }] : []),
  ...(values.nest
    ? [
        { name: 'nest', make: nestApp },
        { name: 'nest-nocache', make: (dir: string) => (noCache(dir), nestApp(dir)) },
      ]
    : []),
];

function get(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

async function workers(socket: string): Promise<Worker[]> {
  return (await adminGet<{ app: { workers: Worker[] } }>(socket, '/v1/apps/hello')).app.workers;
}

const results = new Map<string, { cold: number[]; warm: number[]; rss: number[]; cpu: number[] }>();
for (let run = 0; run < RUNS; run++) {
  for (const v of variants) {
    const dir = scratch(`ts-worker-${v.name}`);
    const app = v.make(dir);
    const d = await startTsgid(dir, `apps:\n  hello:\n    app: ${JSON.stringify(app)}\n    listen: "127.0.0.1:0"\n    workers: 1\n    boot_timeout: 120s\n`, values.tsgid, 180_000);
    try {
      const [first] = await workers(d.socket);
      await adminGet(d.socket, `/v1/apps/hello/workers/${first!.id}/stop`, 'POST');
      let next: Worker | undefined;
      await waitUntil(async () => {
        const ws = await workers(d.socket);
        next = ws.find((w) => w.id !== first!.id && w.ready_at !== null);
        return next !== undefined && ws.length === 1;
      }, 180_000);
      const { listen } = (await adminGet<{ app: { listen: string[] } }>(d.socket, '/v1/apps/hello')).app;
      await get(`http://${listen[0]}/`);
      await sleep(3000);
      const r = results.get(v.name) ?? { cold: [], warm: [], rss: [], cpu: [] };
      r.cold.push(first!.ready_at! - first!.started_at);
      r.warm.push(next!.ready_at! - next!.started_at);
      r.rss.push(rssMB(next!.pid));
      // CPU the replacement used, boot and one answer: wall-clock boots move with a busy machine, this hardly does
      r.cpu.push(cpuSeconds(next!.pid) * 1000);
      results.set(v.name, r);
      process.stderr.write(`run ${run + 1} ${v.name}: boot ${r.cold.at(-1)} / ${r.warm.at(-1)} ms, ${r.rss.at(-1)!.toFixed(1)} MB, ${r.cpu.at(-1)!.toFixed(0)} ms CPU\n`);
    } finally {
      await d.stop();
    }
  }
}

const spread = (xs: number[], digits: number): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)} (median ${median(xs).toFixed(digits)})`;
console.log(`\nTypeScript worker — ${machine()}; ${values.tsgid}; hello world, 1 worker, ${RUNS} runs each; type stripping: ${strips ? 'yes' : 'no (tsx)'}\n`);
console.log(row(['variant', 'first worker boot ms', 'replacement boot ms', 'replacement CPU ms', 'replacement RSS MB']));
console.log(row(['---', '---:', '---:', '---:', '---:']));
for (const [name, r] of results) console.log(row([name, spread(r.cold, 0), spread(r.warm, 0), spread(r.cpu, 0), spread(r.rss, 1)]));
