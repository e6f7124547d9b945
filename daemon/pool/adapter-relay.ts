/**
 * What `@socket.io/cluster-adapter`'s `setupPrimary()` does in a node:cluster primary, done by
 * the arbiter for each app's workers: a worker's adapter message (`process.send`, marked
 * `source: "_sio_adapter"`) goes to every other worker of the same app, and a response to the
 * one worker whose adapter asked. So `io.emit()` in one worker reaches the clients of all, with
 * the adapter unmodified and no Redis. Never across apps. A message that is not well formed or is
 * over `relay_max_message` is dropped, with one warning per worker; nothing a worker sends here
 * can throw.
 */
import type { ArbiterMessage } from '../protocol.js';

/** the adapter's mark on its messages (@socket.io/cluster-adapter, MESSAGE_SOURCE) */
export const ADAPTER_SOURCE = '_sio_adapter';
/** socket.io-adapter's MessageType: the answers that go to the asking worker only */
const FETCH_SOCKETS_RESPONSE = 8;
const SERVER_SIDE_EMIT_RESPONSE = 10;
/** an adapter uid is 16 hex characters (socket.io-adapter's randomId); one per namespace */
const UID_MAX_LENGTH = 64;
const UIDS_PER_WORKER_MAX = 1024;

export interface RelayPeer {
  readonly id: number;
  readonly proc: { send(msg: ArbiterMessage): boolean };
}

interface AdapterMessage {
  source: string;
  type: number;
  uid: string;
  nsp: string;
  requesterUid?: string;
}

/** True when the app's process.send() was the cluster adapter's: the relay's, not a stray message. */
export function isAdapterMessage(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { source?: unknown }).source === ADAPTER_SOURCE;
}

interface Problem {
  kind: 'malformed' | 'oversized';
  why: string;
}

export class AdapterRelay<W extends RelayPeer> {
  /** each worker's adapter uids, to find who asked for a response */
  private readonly uids = new Map<W, Set<string>>();
  /** the workers told of, one warning per worker for each: malformed, oversized */
  private readonly warned = { malformed: new WeakSet<W>(), oversized: new WeakSet<W>() };
  relayed = 0;
  dropped = 0;

  constructor(
    private readonly app: string,
    private readonly warn: (line: string) => void,
    private readonly maxBytes: () => number,
  ) {}

  /** Pass `raw` from `from` on to the app's other live workers (`peers`, which may include `from`). */
  relay(from: W, raw: unknown, peers: Iterable<W>): void {
    const problem = this.check(raw);
    if (problem !== undefined) {
      this.dropped++;
      const told = this.warned[problem.kind];
      if (!told.has(from)) this.warn(`${this.app}: worker ${from.id} sent a socket.io adapter message that was dropped (${problem.why}); any more like it are dropped without a word`);
      told.add(from);
      return;
    }
    const msg = raw as AdapterMessage;
    let mine = this.uids.get(from);
    if (mine === undefined) this.uids.set(from, (mine = new Set()));
    if (mine.size < UIDS_PER_WORKER_MAX) mine.add(msg.uid);
    const out = raw as unknown as ArbiterMessage;
    if (msg.type === FETCH_SOCKETS_RESPONSE || msg.type === SERVER_SIDE_EMIT_RESPONSE) {
      for (const w of peers) {
        if (w === from || !this.uids.get(w)?.has(msg.requesterUid!)) continue;
        w.proc.send(out);
        this.relayed++;
        return;
      }
      return;
    }
    for (const w of peers) {
      if (w === from) continue;
      w.proc.send(out);
      this.relayed++;
    }
  }

  forget(w: W): void {
    this.uids.delete(w);
  }

  private check(raw: unknown): Problem | undefined {
    const m = raw as Partial<Record<keyof AdapterMessage, unknown>>;
    const bad = (why: string): Problem => ({ kind: 'malformed', why });
    if (!Number.isSafeInteger(m.type)) return bad('no numeric type');
    if (typeof m.uid !== 'string' || m.uid.length === 0 || m.uid.length > UID_MAX_LENGTH) return bad('no uid');
    if (typeof m.nsp !== 'string') return bad('no namespace');
    if ((m.type === FETCH_SOCKETS_RESPONSE || m.type === SERVER_SIDE_EMIT_RESPONSE) && typeof m.requesterUid !== 'string') return bad('a response with no requesterUid');
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(raw));
    } catch {
      return bad('not serialisable');
    }
    const max = this.maxBytes();
    if (size > max) return { kind: 'oversized', why: `${size} bytes, over relay_max_message (${max})` };
    return undefined;
  }
}
