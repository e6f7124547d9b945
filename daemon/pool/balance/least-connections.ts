/**
 * `balance: least-connections`: the worker with the fewest open connections (nginx's
 * `least_conn`, HAProxy's `leastconn`). A worker reports its count when it acknowledges the
 * connections it got (every event-loop turn that brought some) and in its heartbeat; the ones
 * handed to it since are added here, so a burst does not all go to the one that looked idle, and
 * a worker whose event loop is stuck in a CPU-heavy request, which acknowledges nothing, is
 * passed over. Ties go round, so equal workers alternate.
 */
import type { Balanced, BalancePolicy } from './policy.js';

export class LeastConnections<W extends Balanced> implements BalancePolicy<W> {
  /** connections handed to a worker since its last heartbeat */
  private readonly since = new Map<W, number>();
  private start = 0;

  pick(ready: readonly W[]): W {
    const n = ready.length;
    this.start = (this.start + 1) % n;
    let best: W | undefined;
    let least = Infinity;
    for (let i = 0; i < n; i++) {
      const w = ready[(this.start + i) % n]!;
      const load = w.connections + (this.since.get(w) ?? 0);
      if (load < least) {
        least = load;
        best = w;
      }
    }
    this.since.set(best!, (this.since.get(best!) ?? 0) + 1);
    return best!;
  }

  reported(w: W): void {
    this.since.delete(w);
  }

  forget(w: W): void {
    this.since.delete(w);
  }
}
