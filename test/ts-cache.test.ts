/**
 * The TypeScript compile cache (daemon/worker/ts-cache.ts): a hit loads no transpiler, and
 * whatever is wrong with the folder or an entry (truncated, altered, open to others, not
 * creatable) ends in the module transpiled in memory, never in stale or foreign code run.
 * The worker-level cases run in child processes, as a worker would: a registered hook cannot be
 * taken back within this one.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheDirOf, TsCache } from '../daemon/worker/ts-cache.js';
import { nativeCacheAvailable } from '../daemon/worker/ts-native-cache.js';

const run = promisify(execFile);
const LOADER = fileURLToPath(new URL('../daemon/worker/load-app.js', import.meta.url));

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tsgi-ts-cache-'));
}

/** A cache on a fresh folder, with its warnings and its transpile calls counted. */
function cache(dir = join(tmp(), 'cache')): { c: TsCache; warnings: string[]; calls: () => number; get: (source: string) => string } {
  const warnings: string[] = [];
  const c = new TsCache(dir, (message) => warnings.push(message));
  let calls = 0;
  const get = (source: string): string => c.get('test 1', '/srv/app/a.ts', source, () => (calls++, `compiled(${source})`));
  return { c, warnings, calls: () => calls, get };
}

function entries(dir: string): string[] {
  return readdirSync(dir).map((name) => join(dir, name));
}

describe('TsCache', () => {
  it('transpiles a source once, and again when the source or transpiler changes', { timeout: 10_000 }, () => {
    const { c, calls, get, warnings } = cache();
    assert.equal(get('let a'), 'compiled(let a)');
    assert.equal(get('let a'), 'compiled(let a)');
    assert.equal(calls(), 1);
    assert.equal(get('let b'), 'compiled(let b)', 'an edit is a miss');
    assert.equal(calls(), 2);
    assert.equal(c.get('test 2', '/srv/app/a.ts', 'let a', () => 'other'), 'other', 'another transpiler version is a miss');
    assert.deepEqual(c.stats, { hits: 1, misses: 3 });
    assert.deepEqual(warnings, []);
    assert.equal(statSync(c.dir).mode & 0o777, 0o700);
    for (const file of entries(c.dir)) assert.equal(statSync(file).mode & 0o777, 0o600, file);
    const second = new TsCache(c.dir);
    assert.equal(second.get('test 1', '/srv/app/a.ts', 'let a', () => assert.fail('a fresh process hits')), 'compiled(let a)');
  });

  it('refuses a truncated entry, an altered one, and one others may write', { timeout: 10_000 }, () => {
    for (const harm of ['truncate', 'alter', 'chmod'] as const) {
      const { c, calls, get } = cache();
      get('let a');
      const [entry] = entries(c.dir);
      if (harm === 'truncate') truncateSync(entry!, statSync(entry!).size - 3);
      if (harm === 'alter') writeFileSync(entry!, readFileSync(entry!, 'utf8').replace('compiled', 'COMPILED'));
      if (harm === 'chmod') chmodSync(entry!, 0o666);
      const fresh = new TsCache(c.dir);
      let again = 0;
      assert.equal(fresh.get('test 1', '/srv/app/a.ts', 'let a', () => (again++, 'compiled(let a)')), 'compiled(let a)', harm);
      assert.equal(again, 1, `${harm}: transpiled again`);
      assert.equal(calls(), 1);
    }
  });

  it('turns itself off, with one warning, when the folder cannot be made or is open to others', { timeout: 10_000 }, () => {
    const blocked = tmp();
    writeFileSync(join(blocked, 'file'), '');
    const open = join(tmp(), 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    for (const dir of [join(blocked, 'file', 'cache'), open]) {
      const { c, calls, get, warnings } = cache(dir);
      assert.equal(get('let a'), 'compiled(let a)');
      assert.equal(get('let a'), 'compiled(let a)');
      assert.equal(calls(), 2, 'transpiled in memory each time');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0]!, /compile cache off/);
      assert.ok(c.stats.off);
    }
    assert.deepEqual(readdirSync(open), [], 'nothing written into a folder others can enter');
  });

  it("does not use another user's folder", { timeout: 10_000, skip: process.getuid?.() !== 0 && 'needs root to give a folder away' }, () => {
    const dir = join(tmp(), 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    const { calls, get, warnings } = cache(dir);
    get('let a');
    get('let a');
    assert.equal(calls(), 2);
    assert.match(warnings[0] ?? '', /belongs to uid 65534/);
  });
});

/**
 * Runs `module` of the app in `cwd` in a fresh Node, as a worker loads it, and reports what it
 * answered, which transpiler got loaded (amaro shows in Node's module list, @swc/core's native
 * binding in the process's memory map, whichever thread loaded it) and a stack frame.
 */
async function boot(cwd: string, module: string): Promise<{ answer: string; amaro: boolean; swc: boolean; frame: string }> {
  const script = `
    const { loadHostedApp } = await import(${JSON.stringify(LOADER)});
    const { readFileSync } = await import('node:fs');
    const hosted = await loadHostedApp({ cwd: ${JSON.stringify(cwd)}, module: ${JSON.stringify(module)}, interface: 'node' });
    const res = { end(body) { this.body = body; }, setHeader() {} };
    hosted.handler({ url: '/', headers: {} }, res);
    console.log(JSON.stringify({
      answer: res.body,
      amaro: process.moduleLoadList.some((m) => m.includes('amaro')),
      swc: readFileSync('/proc/self/maps', 'utf8').includes('swc'),
      frame: globalThis.lastFrame ?? '',
    }));
    process.exit(0);
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { answer: string; amaro: boolean; swc: boolean; frame: string };
}

const HANDLER = `
const greeting: string = 'hello';
export default function handler(_req: unknown, res: { end(body: string): void }): void {
  (globalThis as { lastFrame?: string }).lastFrame = new Error('where').stack!.split('\\n')[1]!.trim();
  res.end(greeting);
}
`;

const strips = Boolean((process.features as { typescript?: unknown }).typescript);
const nativeSkip = !nativeCacheAvailable() || !strips ? `Node ${process.version} has no module.registerHooks or no type stripping (Node 22.15+ / 23.5+): its TypeScript runs through tsx, uncached` : false;

describe("Node's type stripping through the cache", { skip: nativeSkip }, () => {
  it('a hit loads no amaro, a tampered entry is compiled again, stack frames keep .ts lines', { timeout: 120_000 }, async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(cwd, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', erasableSyntaxOnly: true, verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true } }));
    writeFileSync(join(cwd, 'app.ts'), HANDLER);
    const frame = /app\.ts:4:54\)?$/;

    const first = await boot(cwd, './app.ts');
    assert.deepEqual({ ...first, frame: undefined }, { answer: 'hello', amaro: true, swc: false, frame: undefined });
    assert.match(first.frame, frame);
    const [entry] = entries(cacheDirOf(cwd));
    assert.ok(entry, 'an entry was written');

    const second = await boot(cwd, './app.ts');
    assert.equal(second.answer, 'hello');
    assert.equal(second.amaro, false, 'a hit loads no transpiler');
    assert.match(second.frame, frame);

    writeFileSync(entry, readFileSync(entry, 'utf8').replace("'hello'", "'HACKD'"));
    const third = await boot(cwd, './app.ts');
    assert.deepEqual({ answer: third.answer, amaro: third.amaro }, { answer: 'hello', amaro: true });

    writeFileSync(join(cwd, 'app.ts'), HANDLER.replace("'hello'", "'edited'"));
    assert.equal((await boot(cwd, './app.ts')).answer, 'edited', 'an edit (hot reload) is a miss');
  });
});

describe('SWC (emitDecoratorMetadata) through the cache', () => {
  for (const type of ['commonjs', 'module'] as const) {
    it(`a hit loads no @swc/core (${type})`, { timeout: 120_000 }, async () => {
      const cwd = tmp();
      writeFileSync(join(cwd, 'package.json'), JSON.stringify({ type }));
      writeFileSync(join(cwd, 'tsconfig.json'), JSON.stringify({ compilerOptions: { experimentalDecorators: true, emitDecoratorMetadata: true } }));
      writeFileSync(join(cwd, 'app.ts'), HANDLER);
      const first = await boot(cwd, './app.ts');
      assert.deepEqual({ answer: first.answer, swc: first.swc }, { answer: 'hello', swc: true });
      const second = await boot(cwd, './app.ts');
      assert.deepEqual({ answer: second.answer, swc: second.swc }, { answer: 'hello', swc: false });
      assert.equal(second.frame, first.frame, 'the same frame, hit or miss');
    });
  }
});
