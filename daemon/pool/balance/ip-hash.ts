/**
 * `balance: ip-hash`: the same client address to the same worker while that worker lives
 * (nginx's `ip_hash`). A new address goes round-robin and is remembered. Behind a proxy every
 * client has the proxy's address, so all would go to one worker: use `sticky` there.
 */
import { Affinity, pickBound } from './affinity.js';
import type { Balanced, BalancePolicy, ConnInfo } from './policy.js';
import { RoundRobin } from './round-robin.js';

export class IpHash<W extends Balanced> implements BalancePolicy<W> {
  private readonly table = new Affinity<W>();
  private readonly fallback = new RoundRobin<W>();

  pick(ready: readonly W[], conn: ConnInfo): W {
    return pickBound(this.table, conn.address, ready, this.fallback, true);
  }

  forget(w: W): void {
    this.table.forget(w);
  }
}
