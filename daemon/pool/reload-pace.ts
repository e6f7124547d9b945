/**
 * How many of a rolling reload's new workers boot at once. A reload keeps every old worker until
 * all new ones are ready (code that does not boot never replaces code that works); booting all of
 * the new set at once on a small host took the CPU the serving workers needed: on 2 cores, two
 * booting beside two serving ones. So a reload boots at most half the CPUs' worth at a time (one on
 * 2 cores), as `pm2 reload` replaces one instance at a time; max_concurrent_boots still bounds all
 * boots of the daemon together.
 */
import { availableParallelism } from 'node:os';
import type { WorkerState } from './worker-state.js';

/** New workers a reload may have booting at once on this host. */
export function reloadBootLimit(cpus = availableParallelism()): number {
  return Math.max(1, Math.floor(cpus / 2));
}

/** How many more of the new generation to spawn now: up to the target, with at most `limit` booting. */
export function reloadSpawns(target: number, fresh: ReadonlyArray<{ readonly state: WorkerState }>, limit: number): number {
  let booting = 0;
  for (const w of fresh) if (w.state === 'starting') booting++;
  return Math.max(0, Math.min(target - fresh.length, limit - booting));
}
