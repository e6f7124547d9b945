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
  /** the policy again when it is sticky, which is asked whether it knows a session */
  private readonly sticky: Sticky<W> | undefined;
  private readonly heads: HeadReader | undefined;
  private readonly bounds: HeadBounds;

  constructor(settings: BalanceSettings) {
    this.name = settings.balance;
    this.policy = createPolicy<W>(settings.balance);
    this.sticky = this.policy instanceof Sticky ? this.policy : undefined;
    this.heads = this.sticky !== undefined ? new HeadReader() : undefined;
    this.bounds = {
      maxBytes: settings.limit_request_line > 0 ? settings.limit_request_line + 2 : HEAD_BYTES_MAX,
      timeoutMs: settings.header_timeout > 0 ? settings.header_timeout : HEAD_TIMEOUT_MAX_MS,
      maxReading: settings.backlog,
    };
  }

  /** `route(conn, info)` now, or once the head is read (sticky); a connection whose head does not come is closed here */
  admit(conn: Connection, route: (conn: Connection, info: ConnInfo) => void): void {
    if (this.heads !== undefined) this.heads.read(conn, this.bounds, (head) => this.headRead(conn, head, route));
    else if (this.name === 'ip-hash') route(conn, { address: peerAddress(conn) });
    else route(conn, NO_INFO);
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

  /** connections whose first line is being read (sticky) */
  get reading(): number {
    return this.heads?.active ?? 0;
  }

  /**
   * A worker tells of a session it made (its `sid` message) before it sends the handshake's
   * answer, but on another channel than the client's next request comes on: when both arrive in
   * the same turn of the arbiter's event loop, the request may be read first. A session not known
   * yet therefore waits one turn (setImmediate), in which a message already on its way is read;
   * after that it goes round-robin (a session of a worker gone: the client makes a new one).
   */
  private headRead(conn: Connection, head: Buffer, route: (conn: Connection, info: ConnInfo) => void): void {
    const info: ConnInfo = { head, sid: sidOf(head) };
    if (info.sid !== undefined && !this.sticky!.knows(info.sid)) setImmediate(route, conn, info);
    else route(conn, info);
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
