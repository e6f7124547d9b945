/**
 * How an app's pool chooses the worker for a new connection (the app's `balance` setting). Each
 * policy is one small module behind this interface, so routing (../routing.ts) knows none of them:
 * it asks `pick()` for every connection, and the pool tells the policy of heartbeats, learned
 * sessions and exits.
 */

export const BALANCE_POLICIES = ['round-robin', 'least-connections', 'ip-hash', 'sticky'] as const;
export type BalanceName = (typeof BALANCE_POLICIES)[number];

/** What a policy may read of a worker: who it is, and its open connections as last reported. */
export interface Balanced {
  readonly id: number;
  readonly connections: number;
}

/** What the arbiter knows of a connection before it hands it over. */
export interface ConnInfo {
  /** the peer's IP address (ip-hash apps only; none for a unix socket) */
  address?: string;
  /** the engine.io session named in the first request line (sticky apps only) */
  sid?: string;
  /** the bytes the arbiter read to find `sid`: they go to the worker with the handle */
  head?: Buffer;
}

export interface BalancePolicy<W extends Balanced> {
  /**
   * Which of `ready` (never empty) takes the connection. `conn` is what was learned of it before
   * (balancer.ts): nothing for round-robin and least-connections.
   */
  pick(ready: readonly W[], conn: ConnInfo): W;
  /** a heartbeat brought `w.connections` up to date */
  reported?(w: W): void;
  /** `w` created the session `sid` (sticky) */
  learned?(w: W, sid: string): void;
  /** `w` takes no more connections (draining, gone) */
  forget?(w: W): void;
}

/** Affinity tables (ip-hash, sticky) keep at most this many entries, the least recently used go first. */
export const AFFINITY_MAX = 65_536;
