/** The last lines of one app, in memory: what `GET /v1/apps/:name/logs` answers for a stream that has no file. */
import type { LogEntry } from './line-format.js';

export const RECENT_LINES = 1000;

export class Recent {
  private readonly ring: LogEntry[] = [];
  private next = 0;

  push(e: LogEntry): void {
    if (this.ring.length < RECENT_LINES) this.ring.push(e);
    else this.ring[this.next] = e;
    this.next = (this.next + 1) % RECENT_LINES;
  }

  /** Oldest first. */
  all(): LogEntry[] {
    return this.ring.length < RECENT_LINES ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
