/**
 * The worker's server for the app's listeners: http, https (TLS) or HTTP/2 with HTTP/1.1
 * fallback (ALPN). Whichever it is, it never listens: the raw sockets the arbiter hands over
 * are emitted as 'connection', and the TLS servers wrap them in TLS themselves.
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { WorkerLimits, WorkerTls } from '../protocol.js';
import { http2Options, serverOptions } from './limits.js';
import { countResponsesOf, installResponseHooks } from './tsgi-response.js';

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface AppServer {
  /** Typed as http.Server for the app's `onStart({ server })`: https and the HTTP/2 compat server have its events. */
  readonly server: http.Server;
  /** HTTP/2 only: sends GOAWAY on every session, which then closes once its streams finish. */
  closeSessions(): void;
}

export function createAppServer(tls: WorkerTls | undefined, limits: WorkerLimits, onRequest: RequestListener): AppServer {
  // main.ts's bookkeeping per HTTP/1 response hooks ServerResponse.prototype (tsgi-response.ts)
  installResponseHooks();
  const options = serverOptions(limits);
  if (tls === undefined) {
    const server = http.createServer(options, onRequest);
    countResponsesOf(server);
    return { server, closeSessions: () => {} };
  }
  // header_timeout bounds the handshake too: Node's own default is 120s, a slot held by a client that never finishes it
  const handshakeTimeout = limits.headerTimeout > 0 ? limits.headerTimeout : 120_000;
  const secure = { handshakeTimeout, cert: tls.cert, key: tls.key, ...(tls.ca !== undefined && { ca: tls.ca }), ...(tls.ciphers !== undefined && { ciphers: tls.ciphers }) };
  if (!tls.http2) {
    const server = https.createServer({ ...options, ...secure }, onRequest);
    countResponsesOf(server);
    return { server: server as unknown as http.Server, closeSessions: () => {} };
  }
  const server = http2.createSecureServer({ ...secure, ...http2Options(limits), allowHTTP1: true }, onRequest as never);
  countResponsesOf(server);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return {
    server: server as unknown as http.Server,
    closeSessions() {
      for (const session of sessions) session.close();
    },
  };
}
