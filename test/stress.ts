/**
 * `npm run test:stress`: the whole suite (`npm test`) once, beside two busy-looping processes that
 * keep the cores taken, must pass, within a deadline (so a hang fails it rather than stalling CI),
 * and leave no process behind. Every process of the run carries LC_TSGI_TEST_RUN=<id> in its
 * environment, so what outlives the run is found however it was reparented; the processes of this
 * checkout's dist/ (tsgid, its workers, tsgictl) are listed before and after as well. Whatever is
 * left is printed, SIGKILLed, and fails the run.
 *
 * TSGI_STRESS_BUSY (2) sets the number of busy loops, TSGI_STRESS_TIMEOUT_MIN (45) the deadline.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { commandLine, killTree, pidsWithEnv, procPids } from './helpers/proc-tree.js';

const BUSY = Number(process.env.TSGI_STRESS_BUSY ?? 2);
const DEADLINE_MS = Number(process.env.TSGI_STRESS_TIMEOUT_MIN ?? 45) * 60_000;
const RUN = randomUUID();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = `${ROOT}dist/`;

/** This checkout's own processes (tsgid, workers, tsgictl): what `ps` shows of a run. */
function ours(): number[] {
  return procPids().filter((p) => p !== process.pid && commandLine(p).includes(DIST));
}

function ps(pids: number[]): string {
  if (pids.length === 0) return '  (none)';
  try {
    return execFileSync('ps', ['-o', 'pid,ppid,etime,args', '-p', pids.join(',')], { encoding: 'utf8' }).trimEnd().replace(/^/gm, '  ');
  } catch {
    return pids.map((p) => `  ${p} ${commandLine(p)}`).join('\n');
  }
}

const before = ours();
console.log(`# stress: ${BUSY} busy loop(s) beside \`npm test\`, deadline ${DEADLINE_MS / 60_000} min; this checkout's processes before:\n${ps(before)}`);

const busy: ChildProcess[] = [];
for (let i = 0; i < BUSY; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
const started = Date.now();
const suite = spawn('npm', ['test'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, LC_TSGI_TEST_RUN: RUN } });
let hung = false;
const guard = setTimeout(() => {
  hung = true;
  console.error(`# stress: the suite ran past ${DEADLINE_MS / 60_000} min: killing it`);
  if (suite.pid !== undefined) killTree(suite.pid);
}, DEADLINE_MS);
const [code, signal] = (await once(suite, 'exit')) as [number | null, NodeJS.Signals | null];
clearTimeout(guard);
const seconds = (Date.now() - started) / 1000;
for (const b of busy) b.kill('SIGKILL');

// a process that outlived the run for a moment is on its way out; one still there after 5 s is left behind
const left = (): number[] => [...new Set([...pidsWithEnv('LC_TSGI_TEST_RUN', RUN), ...ours().filter((p) => !before.includes(p))])];
for (const until = Date.now() + 5000; left().length > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
const leftovers = left();
console.log(`# stress: this checkout's processes after:\n${ps(ours())}`);
if (leftovers.length > 0) {
  console.error(`# stress: ${leftovers.length} process(es) of the run left behind, now SIGKILLed:\n${ps(leftovers)}`);
  for (const p of leftovers) killTree(p);
}
const passed = code === 0 && !hung;
console.log(`# stress: npm test ${hung ? 'hung' : `exited ${code ?? signal}`} after ${seconds.toFixed(0)} s beside ${BUSY} busy loop(s); ${leftovers.length} process(es) left behind`);
process.exitCode = passed && leftovers.length === 0 ? 0 : 1;
