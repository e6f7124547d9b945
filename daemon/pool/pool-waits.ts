/**
 * A pool's requests that finish later (start, stop, scale, stop one worker): each waits on a check
 * the pool runs after every tick, and is answered on the first tick its check decides.
 */
import type { TsgiError } from '../errors.js';

export interface Waiter {
  resolve(): void;
  reject(err: TsgiError): void;
}

/** undefined while the action is still under way, null once it is done, an error once it cannot be */
export type Check = () => TsgiError | null | undefined;

export class PoolWaits {
  private pendings: Array<Waiter & { check: Check }> = [];

  /** `changed` asks the arbiter for a tick soon */
  constructor(private readonly changed: () => void) {}

  /** someone waits: the tick must come back when their check can change */
  get any(): boolean {
    return this.pendings.length > 0;
  }

  until(check: Check): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendings.push({ check, resolve, reject });
      this.changed();
    });
  }

  /** After every tick: answer each request its check decides, keep the rest. */
  settle(): void {
    if (this.pendings.length === 0) return;
    const still: Array<Waiter & { check: Check }> = [];
    for (const p of this.pendings) {
      const result = p.check();
      if (result === undefined) still.push(p);
      else if (result === null) p.resolve();
      else p.reject(result);
    }
    this.pendings = still;
  }
}
