/**
 * The client's IP address, read from the bare handle the arbiter accepted (ip-hash apps only):
 * one getpeername() call, no stream. A unix socket's peer has none.
 */
import type { Connection } from '../../protocol.js';

interface PeerHandle {
  getpeername?(out: { address?: string }): number;
}

export function peerAddress(conn: Connection): string | undefined {
  const out: { address?: string } = {};
  const getpeername = (conn as PeerHandle).getpeername;
  if (typeof getpeername !== 'function') return undefined;
  return getpeername.call(conn, out) === 0 ? out.address : undefined;
}
