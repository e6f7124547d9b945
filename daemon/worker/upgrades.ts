/**
 * `Upgrade:` requests (WebSocket and others) in a worker. An app takes them either by exporting
 * `upgrade(req, socket, head)` or by attaching to the worker's server in `onStart({ server })`
 * (`new WebSocketServer({ server })`); an app that does neither answers them 501 here, except
 * `Upgrade: h2c`, which is ignored (RFC 9110 §7.8 allows it) and served as HTTP/1.1.
 *
 * Wired once at boot: a plain request never passes through this file.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { matchMount } from './adapters/mounts.js';
import type { MountedRequest } from './adapters/contract.js';

export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

type Server = Pick<http.Server, 'on' | 'listeners' | 'removeAllListeners'>;
type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;
/** limits.ts's upgradeGuard: true when the request was refused. */
type UpgradeGuard = (req: http.IncomingMessage, socket: Duplex) => boolean;

/**
 * Gives `server` its one 'upgrade' listener, after the app's `onStart` ran: the request limits
 * (`guard`), then whatever the app attached (a library) and the app's `upgrade` export; with
 * neither, the refusal. The app's own listeners are moved behind the guard, so that no Upgrade
 * request reaches them past a limit; one attached later than `onStart` would not be.
 */
export function wireUpgrades(server: Server, handler: UpgradeHandler | undefined, onRequest: RequestListener, guard: UpgradeGuard): void {
  const theirs = server.listeners('upgrade') as UpgradeHandler[];
  server.removeAllListeners('upgrade');
  const listeners: UpgradeHandler[] = handler !== undefined ? [...theirs, handler] : theirs.length > 0 ? theirs : [(req, socket) => refuseUpgrade(req, socket, onRequest)];
  server.on('upgrade', function tsgiUpgrade(this: unknown, req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    if (guard(req, socket)) return;
    for (const listener of listeners) listener.call(this, req, socket, head);
  });
}

/** The mount's `upgrade` export for the request's URL (prefix stripped, as for requests), or a 501. */
export function mountedUpgrade(mounts: ReadonlyArray<{ prefix: string; upgrade?: UpgradeHandler }>): UpgradeHandler {
  const sorted = mounts.map((m) => ({ prefix: m.prefix, listener: m.upgrade })).sort((a, b) => b.prefix.length - a.prefix.length);
  return function tsgiMountedUpgrade(req: MountedRequest, socket, head) {
    const original = req.url ?? '/';
    const match = matchMount(sorted as never, original) as { mount: { prefix: string; listener?: UpgradeHandler }; url: string } | undefined;
    if (match?.mount.listener === undefined) return refuseRaw(socket, match === undefined ? 404 : 501);
    if (req.originalUrl === undefined) req.originalUrl = original;
    req.url = match.url;
    req.scriptName = match.mount.prefix;
    match.mount.listener(req, socket, head);
  };
}

function refuseUpgrade(req: http.IncomingMessage, socket: Duplex, onRequest: RequestListener): void {
  if (req.headers.upgrade?.toLowerCase() !== 'h2c' || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    refuseRaw(socket, 501);
    return;
  }
  // Served as the request it also is, on a connection that closes after the response.
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as never);
  res.once('finish', () => {
    res.detachSocket(socket as never);
    socket.end();
  });
  req.push(null);
  onRequest(req, res);
}

function refuseRaw(socket: Duplex, status: 404 | 501): void {
  const body = status === 404 ? 'Not Found\n' : 'Not Implemented: this app accepts no Upgrade requests\n';
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
}
