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
import type { UnavailableReason } from './app-metrics.js';
import { formatMs } from './restart-policy.js';
import type { Connection } from '../protocol.js';

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

/** Retry-After for an app stopped by hand, or failed with no automatic retry: a guess, as nothing is scheduled. */
export const RETRY_AFTER_IDLE_S = 60;

export interface AppSide {
  app: string;
  failedReason: string | undefined;
  failedAt: number;
  retryFailed: number;
  holdTimeout: number;
  backlog: number;
  tls: boolean;
}

/**
 * What to answer, by reason: a failed app's Retry-After is the time until its automatic retry
 * (restart.retry_failed); a connection that waited out hold_timeout, or found the queue full, is
 * told 1 s, as a worker is on its way.
 */
export function unavailableAnswer(reason: UnavailableReason, a: AppSide, now: number): Unavailable {
  const scheduled = reason === 'failed' && a.retryFailed > 0;
  const retryAfter = reason === 'stopped' || (reason === 'failed' && !scheduled) ? RETRY_AFTER_IDLE_S : Math.max(1, Math.ceil((scheduled ? a.failedAt + a.retryFailed - now : 0) / 1000));
  const message = {
    failed: `${a.app} has failed: ${a.failedReason ?? ''}`,
    stopped: `${a.app} is stopped`,
    hold_timeout: `${a.app} has no ready worker (waited ${formatMs(a.holdTimeout)})`,
    queue_full: `${a.app} has no ready worker and ${a.backlog} connections waiting`,
  }[reason];
  return { retryAfter, message, tls: a.tls };
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
