/**
 * daemon/start-tiering.ts: V8 optimizes nothing while tsgid starts and idles, and optimizes as usual
 * from the first busy second once it has started; a `--opt`/`--no-opt` of the user's is left alone.
 * Run in a child process with V8's natives syntax, which asks V8 whether a function was optimized.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';

const TIERING = pathToFileURL(join(import.meta.dirname, '../daemon/start-tiering.js')).href;
/** V8's OptimizationStatus: kMaglevved and kTurboFanned (src/runtime/runtime.h, the same on Node 20, 22 and 24) */
const MAGLEVVED = 1 << 5;
const TURBOFANNED = 1 << 6;

// prints "idle: N" (hot, with the loop idle), then, after startedUp() and a busy loop, "busy: N"
// once V8 has optimized it (the test's timeout bounds the wait, so a load average of 10 only slows it)
const SCRIPT = `
const { startedUp } = await import(${JSON.stringify(TIERING)});
function hot(x) { let s = 0; for (let i = 0; i < 100; i++) s += x * i; return s; }
const run = () => { let t = 0; for (let i = 0; i < 200000; i++) t += hot(i); return t; };
const status = () => %GetOptimizationStatus(hot) & ${MAGLEVVED | TURBOFANNED};
run();
await new Promise((r) => setTimeout(r, 200));
run();
console.log('idle: ' + status());
startedUp();
// the event loop busy for a while (~50 ms of each 60), as under load, until V8 optimizes hot
for (;;) {
  const until = Date.now() + 50;
  while (Date.now() < until) run();
  if ((status() & ${TURBOFANNED}) !== 0) break;
  await new Promise((r) => setTimeout(r, 10));
}
console.log('busy: ' + status());
`;

describe('TurboFan off while tsgid starts and idles (start-tiering.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-tiering-'));
  const script = join(dir, 'tiering.mjs');
  writeFileSync(script, SCRIPT);
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (flags: string[], env: NodeJS.ProcessEnv = {}): string => {
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', ...flags, script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 100_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  it('optimizes nothing before startedUp(), then from the first busy second', { timeout: 120_000 }, () => {
    const out = run([]);
    // neither optimizing tier while idle (Maglev is on by default on Node 24), TurboFan once busy
    assert.match(out, /^idle: 0$/m);
    const busy = Number(/^busy: (\d+)$/m.exec(out)?.[1]);
    assert.equal(busy & TURBOFANNED, TURBOFANNED, out);
  });

  it("leaves V8 as the user chose it: --opt on tsgid's command line optimizes from the start", { timeout: 120_000 }, () => {
    assert.match(run(['--opt']), /^idle: [1-9]\d*$/m);
  });
});
