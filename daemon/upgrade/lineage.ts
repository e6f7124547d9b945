/**
 * Which tsgi this process is and how it came to run: its version, and how many upgrades
 * (`tsgictl upgrade`) handed the sockets on to it since a tsgid was last started from scratch.
 * Read by the status and /metrics; set once by an upgrade's successor, counted by its predecessor.
 */
import { packageVersion } from '../../api/version.js';

let upgrades = 0;
const counts = { ok: 0, failed: 0 };

export function lineage(): { version: string; upgrades: number } {
  return { version: packageVersion(), upgrades };
}

/** In a new tsgid: the count its predecessor had, plus the upgrade that started it. */
export function inheritLineage(previous: number): void {
  upgrades = previous + 1;
  counts.ok = upgrades;
}

export function countUpgrade(result: 'ok' | 'failed'): void {
  counts[result]++;
}

/** For /metrics: upgrades that led to this process, and those this process tried that failed. */
export function upgradeCounts(): { ok: number; failed: number } {
  return { ...counts };
}
