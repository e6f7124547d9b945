/**
 * A bounded key → worker table for the policies that keep a client on one worker (ip-hash by
 * address, sticky by session): an entry holds while its worker takes connections; a key seen
 * for the first time, or whose worker went, goes by the fallback policy and is remembered.
 */
import { AFFINITY_MAX, type Balanced, type BalancePolicy } from './policy.js';

export class Affinity<W extends Balanced> {
  private readonly table = new Map<string, W>();

  constructor(private readonly max = AFFINITY_MAX) {}

  /** the live worker `key` is bound to, refreshed as recently used */
  get(key: string, ready: readonly W[]): W | undefined {
    const w = this.table.get(key);
    if (w === undefined) return undefined;
    this.table.delete(key);
    if (!ready.includes(w)) return undefined;
    this.table.set(key, w);
    return w;
  }

  set(key: string, w: W): void {
    this.table.delete(key);
    this.table.set(key, w);
    // Map keeps insertion order: the first key is the least recently used
    if (this.table.size > this.max) this.table.delete(this.table.keys().next().value!);
  }

  forget(w: W): void {
    for (const [key, v] of this.table) if (v === w) this.table.delete(key);
  }

  get size(): number {
    return this.table.size;
  }
}

/** pick by `key` if it has a live worker, else by `fallback`, and remember the choice when `remember` */
export function pickBound<W extends Balanced>(table: Affinity<W>, key: string | undefined, ready: readonly W[], fallback: BalancePolicy<W>, remember: boolean): W {
  if (key === undefined) return fallback.pick(ready, {});
  const bound = table.get(key, ready);
  if (bound !== undefined) return bound;
  const w = fallback.pick(ready, {});
  if (remember) table.set(key, w);
  return w;
}
