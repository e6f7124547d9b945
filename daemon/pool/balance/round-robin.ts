/** `balance: round-robin`: each ready worker in turn, as node:cluster's primary does (the default). */
import type { Balanced, BalancePolicy } from './policy.js';

export class RoundRobin<W extends Balanced> implements BalancePolicy<W> {
  private next = 0;

  pick(ready: readonly W[]): W {
    this.next = (this.next + 1) % ready.length;
    return ready[this.next]!;
  }
}
