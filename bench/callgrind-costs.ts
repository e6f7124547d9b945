/**
 * Self cost per function of one callgrind dump, read from the file itself, and the kind of code
 * each function is (the garbage collector, V8's optimising compiler, JavaScript V8 compiled, …):
 * shared by bench/callgrind-diff.ts (two dumps, function by function) and bench/instructions.ts
 * (what each cycle's instructions went to, so that a cycle out of line says why).
 *
 * callgrind_annotate is not used: on a dump taken while main() is on the stack it lists main and
 * its callers with the whole thread's cost as if it were their own (a cycle of 3.47 G instructions
 * showed 2.47 G in `main`), which hides what the rest is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Code {
  start: number;
  end: number;
  name: string;
}

/** /tmp/perf-<pid>.map (node --perf-basic-prof): the addresses of the code V8 generated, named. */
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

export const KINDS = ['garbage collector', 'V8 optimising compiler', 'JavaScript (V8-compiled)', 'V8 builtins (ICs, stubs)', 'V8, other', 'node', 'libuv', 'libc, libstdc++', 'other'] as const;
export type Kind = (typeof KINDS)[number];

/** `object`: the file the function's code is in (callgrind's `ob=`), `???` for code V8 generated */
export function kind(name: string, object = ''): Kind {
  if (GC.test(name)) return 'garbage collector';
  // TurboFan (and Maglev on newer V8): a cycle that compiles is a cycle V8 had not settled in
  if (/v8::internal::(compiler|maglev)::/.test(name)) return 'V8 optimising compiler';
  if (name.startsWith('JS')) return 'JavaScript (V8-compiled)';
  if (name.startsWith('Builtins_')) return 'V8 builtins (ICs, stubs)';
  if (name.includes('v8::')) return 'V8, other';
  if (name.includes('node::')) return 'node';
  if (/\buv_|uv__/.test(name)) return 'libuv';
  if (/\/(libc|libm|libstdc\+\+|ld-linux[^/]*)\.so/.test(object)) return 'libc, libstdc++';
  return 'other';
}

/**
 * Self instructions per function of a dump named cg.<pid>.<n>, with the code V8 generated named
 * from the process's perf map when there is one (else `JS? 0x…`). The dump's format: `fn=(id) name`
 * opens a function (later `fn=(id)` alone), each `<position> <Ir>` line is its own cost, and the
 * line after a `calls=` is the cost of that call, its callee's, not counted here.
 */
export interface Cost {
  ir: number;
  /** the file its code is in */
  object: string;
}

export function selfCosts(dump: string): Map<string, Cost> {
  const pid = /^cg\.(\d+)\.\d+$/.exec(basename(dump))?.[1];
  if (pid === undefined) throw new Error(`${dump}: expected a dump named cg.<pid>.<n>`);
  const codes = perfMap(pid);
  // names are compressed: `fn=(id) name` the first time, `fn=(id)` after; `ob=` the same
  const names = new Map<string, string>();
  const objects = new Map<string, string>();
  const costs = new Map<string, Cost>();
  let current: Cost = { ir: 0, object: '' };
  let object = '';
  let afterCall = false;
  for (const line of readFileSync(dump, 'utf8').split('\n')) {
    const ob = /^ob=\((\d+)\)(?: (.*))?$/.exec(line);
    if (ob) {
      if (ob[2] !== undefined) objects.set(ob[1]!, ob[2]);
      object = objects.get(ob[1]!) ?? '';
      continue;
    }
    const def = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (def) {
      if (def[2] !== undefined) names.set(def[1]!, def[2]);
      if (line.startsWith('fn=')) {
        const raw = names.get(def[1]!) ?? `fn ${def[1]}`;
        const address = /^0x([0-9a-f]+)$/.exec(raw);
        const fn = address ? (lookup(codes, parseInt(address[1]!, 16)) ?? `JS? ${raw}`) : raw;
        current = costs.get(fn) ?? { ir: 0, object };
        costs.set(fn, current);
      }
      continue;
    }
    // cob= names the callee's object: read for its definition, the current object stays
    const cob = /^cob=\((\d+)\) (.*)$/.exec(line);
    if (cob) {
      objects.set(cob[1]!, cob[2]!);
      continue;
    }
    if (line.startsWith('calls=')) {
      afterCall = true;
      continue;
    }
    const cost = /^(?:[+-]?\d+|\*) (\d+)$/.exec(line);
    if (!cost) continue;
    if (afterCall) {
      afterCall = false;
      continue;
    }
    current.ir += Number(cost[1]);
  }
  return costs;
}

/** A dump's self instructions summed by kind of code. */
export function byKind(costs: Map<string, Cost>): Map<Kind, number> {
  const kinds = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
  for (const [name, c] of costs) {
    const k = kind(name, c.object);
    kinds.set(k, kinds.get(k)! + c.ir);
  }
  return kinds;
}
