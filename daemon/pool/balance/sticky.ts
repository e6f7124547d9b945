/**
 * `balance: sticky`: session affinity for socket.io / engine.io. Every request of a session after
 * the handshake names it (`?sid=…`); the arbiter reads it from the first request line of the
 * connection (sticky-head.ts), and the worker that created the session said so when it answered
 * the handshake (worker/sticky-session.ts). A connection without a known session (a handshake,
 * plain HTTP, a session whose worker went) goes round-robin; a session of a worker that is gone
 * or draining thus reaches a live worker, which answers "Session ID unknown", and the client
 * makes a new session as socket.io always does.
 */
import { Affinity, pickBound } from './affinity.js';
import type { Balanced, BalancePolicy, ConnInfo } from './policy.js';
import { RoundRobin } from './round-robin.js';

export class Sticky<W extends Balanced> implements BalancePolicy<W> {
  private readonly table = new Affinity<W>();
  private readonly fallback = new RoundRobin<W>();

  pick(ready: readonly W[], conn: ConnInfo): W {
    return pickBound(this.table, conn.sid, ready, this.fallback, false);
  }

  learned(w: W, sid: string): void {
    this.table.set(sid, w);
  }

  forget(w: W): void {
    this.table.forget(w);
  }
}
