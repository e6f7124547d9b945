/**
 * The sampler's pace, on a fake clock: every interval in full while someone reads the figures,
 * otherwise in full every UNWATCHED_EVERY intervals and only the max_memory apps' workers in
 * between; a read after a quiet spell brings the next full read forward to now.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessOps, ProcStats } from '../daemon/os/process-ops.js';
import { Sampler, UNWATCHED_EVERY, WATCH_MS } from '../daemon/arbiter/sampler.js';

function setup(): { sampler: Sampler; rounds: boolean[]; clock: { now: number }; settle: () => Promise<void> } {
  const clock = { now: 1_000_000 };
  const rounds: boolean[] = [];
  const ops = { now: () => clock.now, stats: async (pids: number[]) => new Map<number, ProcStats>(pids.map((p) => [p, { rss: 1, cpu: 0, cpuSeconds: 0 }])) } as unknown as ProcessOps;
  const sampler = new Sampler(ops, { pids: (limited) => (rounds.push(limited), [1]), deliver: () => {} }, 1000);
  return { sampler, rounds, clock, settle: () => new Promise((r) => setImmediate(r)) };
}

/** Ticks at every due time for `n` intervals; each tick's round kind is pushed to `rounds`. */
async function run(s: ReturnType<typeof setup>, n: number): Promise<void> {
  let due = s.sampler.tick(s.clock.now);
  await s.settle();
  for (let i = 0; i < n; i++) {
    s.clock.now = due;
    due = s.sampler.tick(s.clock.now);
    await s.settle();
  }
}

describe('sampler pace', () => {
  it('unwatched: a full read every UNWATCHED_EVERY intervals, the max_memory apps alone in between', async () => {
    const s = setup();
    s.sampler.tick(s.clock.now);
    await s.settle();
    await run(s, UNWATCHED_EVERY * 3);
    const full = s.rounds.map((limited, i) => (limited ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(full, [0, UNWATCHED_EVERY, 2 * UNWATCHED_EVERY, 3 * UNWATCHED_EVERY]);
    assert.equal(s.rounds.length, 3 * UNWATCHED_EVERY + 1, 'one round per interval: the max_memory apps are read at every one');
  });

  it('watched: a full read every interval for WATCH_MS after the last read, then back to the slow pace', async () => {
    const s = setup();
    s.sampler.tick(s.clock.now);
    await s.settle();
    await run(s, 2);
    assert.equal(s.sampler.watched(s.clock.now), true, 'the last full read is two intervals old: fresh figures are asked for');
    s.rounds.length = 0;
    await run(s, WATCH_MS / 1000 + 2 * UNWATCHED_EVERY);
    const watchedRounds = s.rounds.slice(0, WATCH_MS / 1000);
    assert.ok(watchedRounds.every((limited) => !limited), `full reads while watched: ${s.rounds}`);
    assert.ok(s.rounds.slice(WATCH_MS / 1000).some((limited) => limited), 'limited rounds once nobody has read for WATCH_MS');
  });

  it('a read right after a full one asks for nothing', async () => {
    const s = setup();
    s.sampler.tick(s.clock.now);
    await s.settle();
    assert.equal(s.sampler.watched(s.clock.now + 10), false);
  });

  it('stopped: no more reads', async () => {
    const s = setup();
    s.sampler.stop();
    assert.equal(s.sampler.tick(s.clock.now), Infinity);
    await s.settle();
    assert.deepEqual(s.rounds, []);
  });
});
