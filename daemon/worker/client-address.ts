/**
 * The client's address for the access log, gunicorn's `forwarded_allow_ips` rule: X-Forwarded-For
 * counts only when the peer is a trusted proxy. Unix-socket peers are trusted, as gunicorn does
 * (only a local process, such as nginx, can connect). Of the header's addresses, the right-most
 * one that is not itself a trusted proxy is the client: the left ones are whatever the client
 * chose to send, so they prove nothing.
 */
import type http from 'node:http';

export function clientAddress(req: http.IncomingMessage, trusted: readonly string[]): string | undefined {
  const peer = req.socket.remoteAddress;
  const xff = req.headers['x-forwarded-for'];
  if (xff === undefined || (peer !== undefined && !isTrusted(plain(peer), trusted))) return peer === undefined ? undefined : plain(peer);
  const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',').map((s) => plain(s.trim())).filter((s) => s !== '');
  if (hops.length === 0) return peer === undefined ? undefined : plain(peer);
  for (let i = hops.length - 1; i > 0; i--) if (!isTrusted(hops[i]!, trusted)) return hops[i];
  // every hop is a trusted proxy: the left-most is as far back as the chain goes
  return hops[0];
}

function isTrusted(addr: string, trusted: readonly string[]): boolean {
  return trusted.includes('*') || trusted.includes(addr);
}

/** An IPv4 peer of a dual-stack socket shows as ::ffff:1.2.3.4; the list names it 1.2.3.4. */
function plain(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
