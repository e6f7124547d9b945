/**
 * The arbiter's one answer of its own: `503 Service Unavailable` for a connection no worker can
 * take (the app failed or is stopped, it waited `hold_timeout` for a ready worker, the hold queue
 * is full). Closing the bare handle instead would reset the client, or leave it waiting for ever
 * on a socket nobody accepts from. The arbiter reads no request: it writes a fixed response,
 * half-closes, and reads and discards what the client sends until the client closes (a close
 * with unread bytes in the kernel's buffer is sent as a RST, which the client would see before
 * the response). A TLS connection cannot be answered without a handshake, which is not worth
 * doing here: it is read from briefly (the ClientHello) and closed with a FIN.
 */
import net from 'node:net';
import type { Connection } from './sockets.js';

/** How long an answered connection may linger for the client to read and close. */
const LINGER_MS = 5000;
/** A TLS client's hello is read (and dropped) for this long before the FIN. */
const TLS_FIN_AFTER_MS = 100;

export interface Unavailable {
  /** seconds, for Retry-After */
  retryAfter: number;
  /** one line for the body */
  message: string;
  /** the app speaks TLS: no HTTP answer is possible */
  tls: boolean;
}

export function response503(u: Pick<Unavailable, 'retryAfter' | 'message'>): string {
  const body = `${u.message}\n`;
  return `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${u.retryAfter}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Answer a bare accepted handle (sockets.ts) with a 503, or a clean close for TLS. */
export function answerUnavailable(conn: Connection, u: Unavailable): void {
  let socket: net.Socket;
  try {
    socket = new net.Socket({ handle: conn, readable: true, writable: true } as net.SocketConstructorOpts);
  } catch {
    conn.close();
    return;
  }
  socket.on('error', () => socket.destroy());
  socket.setTimeout(LINGER_MS, () => socket.destroy());
  // discard whatever the client sends, so the close is a FIN and not a RST
  socket.resume();
  if (u.tls) setTimeout(() => socket.end(), TLS_FIN_AFTER_MS).unref();
  else socket.end(response503(u));
}
