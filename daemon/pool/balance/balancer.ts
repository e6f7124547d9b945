/**
 * The one object routing (../routing.ts) asks where a connection goes: it gathers what the app's
 * `balance` policy needs to know of it (the peer address for ip-hash; the first request line for
 * sticky) and picks a worker. For a round-robin or least-connections app `admit` calls on at
 * once and touches nothing of the connection.
 */
import type { Connection } from '../../protocol.js';
import type { Balanced, BalanceName, BalancePolicy, ConnInfo } from './policy.js';
import { RoundRobin } from './round-robin.js';
import { LeastConnections } from './least-connections.js';
import { IpHash } from './ip-hash.js';
import { Sticky } from './sticky.js';
import { HeadReader, sidOf, type HeadBounds } from './sticky-head.js';
import { peerAddress } from './peer-address.js';

export interface BalanceSettings {
  balance: BalanceName;
  header_timeout: number;
  limit_request_line: number;
  backlog: number;
}

/** the bound on reading a sticky app's first request line when its header_timeout is 0 (off) */
const HEAD_TIMEOUT_MAX_MS = 10_000;
/** the request line read at most when limit_request_line is 0 (off) */
const HEAD_BYTES_MAX = 8192;

export class Balancer<W extends Balanced> {
  readonly name: BalanceName;
  private readonly policy: BalancePolicy<W>;
  private readonly heads: HeadReader | undefined;
  private readonly bounds: HeadBounds;

  constructor(settings: BalanceSettings) {
    this.name = settings.balance;
    this.policy = createPolicy<W>(settings.balance);
    this.heads = settings.balance === 'sticky' ? new HeadReader() : undefined;
    this.bounds = {
      maxBytes: settings.limit_request_line > 0 ? settings.limit_request_line + 2 : HEAD_BYTES_MAX,
      timeoutMs: settings.header_timeout > 0 ? settings.header_timeout : HEAD_TIMEOUT_MAX_MS,
      maxReading: settings.backlog,
    };
  }

  /** `route(conn, info)` now, or once the head is read (sticky); a connection whose head does not come is closed here */
  admit(conn: Connection, route: (conn: Connection, info: ConnInfo) => void): void {
    // a session not known (yet) goes by the fallback at once: the worker that made it answers the
    // handshake only once its `sid` message has left for the arbiter (worker/sticky-session.ts),
    // so the client's next request, which names it, comes after that message
    if (this.heads !== undefined) this.heads.read(conn, this.bounds, (head) => route(conn, { head, sid: sidOf(head) }));
    else if (this.name === 'ip-hash') route(conn, { address: peerAddress(conn) });
    else route(conn, NO_INFO);
  }

  /** a client goes back to the worker that has its address or session: no share is weighed against that */
  get affine(): boolean {
    return this.name === 'ip-hash' || this.name === 'sticky';
  }

  /** `ready` is never empty */
  pick(ready: readonly W[], info: ConnInfo): W {
    return this.policy.pick(ready, info);
  }

  reported(w: W): void {
    this.policy.reported?.(w);
  }

  learned(w: W, sid: string): void {
    this.policy.learned?.(w, sid);
  }

  forget(w: W): void {
    this.policy.forget?.(w);
  }

}

const NO_INFO: ConnInfo = {};

export function createPolicy<W extends Balanced>(name: BalanceName): BalancePolicy<W> {
  switch (name) {
    case 'round-robin': return new RoundRobin<W>();
    case 'least-connections': return new LeastConnections<W>();
    case 'ip-hash': return new IpHash<W>();
    case 'sticky': return new Sticky<W>();
  }
}
